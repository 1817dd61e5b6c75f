//! A console page's form as a browser would send it back: the fields of one `<form id>`,
//! with what the page filled in, so a test changes only what a person would type.

/// One form's fields in document order: inputs (checked boxes only), text areas and the
/// selected option of each select, with HTML escapes undone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    /// The form `<form id="{id}">` of `html`.
    ///
    /// # Panics
    /// When the page has no such form.
    pub fn of(html: &str, id: &str) -> Self {
        let start =
            html.find(&format!("<form id=\"{id}\"")).unwrap_or_else(|| panic!("no form #{id}: {html}"));
        let form = &html[start..];
        let form = &form[..form.find("</form>").expect("a closed form")];
        let mut fields = Vec::new();
        let mut rest = form;
        while let Some(at) = rest.find('<') {
            rest = &rest[at + 1..];
            let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
            let name = attribute(tag, "name");
            if let Some(name) = name {
                if tag.starts_with("input ") {
                    let kind = attribute(tag, "type").unwrap_or_default();
                    if !matches!(kind.as_str(), "checkbox" | "radio") || has_flag(tag, "checked") {
                        fields.push((name, attribute(tag, "value").unwrap_or_default()));
                    }
                } else if tag.starts_with("textarea ") {
                    let body = &rest[tag.len() + 1..];
                    fields.push((name, unescape(&body[..body.find("</textarea>").unwrap_or(0)])));
                } else if tag.starts_with("select ") {
                    let body = &rest[..rest.find("</select>").unwrap_or(rest.len())];
                    let chosen = body
                        .split("<option ")
                        .skip(1)
                        .map(|option| &option[..option.find('>').unwrap_or(option.len())])
                        .find(|option| has_flag(option, "selected"))
                        .or_else(|| body.split("<option ").nth(1));
                    fields.push((
                        name,
                        chosen.and_then(|option| attribute(option, "value")).unwrap_or_default(),
                    ));
                }
            }
        }
        Self(fields)
    }

    /// These fields with `changes` made (a field not there is added).
    #[must_use]
    pub fn with(mut self, changes: &[(&str, &str)]) -> Self {
        for (name, value) in changes {
            match self.0.iter_mut().find(|(field, _)| field == name) {
                Some(field) => (*value).clone_into(&mut field.1),
                None => self.0.push(((*name).to_owned(), (*value).to_owned())),
            }
        }
        self
    }

    /// The value of `name`, if the form has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(field, _)| field == name).map(|(_, value)| value.as_str())
    }

    /// As pairs for [`Client::post_form`](crate::Client::post_form).
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect()
    }
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let tag = format!(" {tag}");
    let marker = format!(" {name}=\"");
    let at = tag.find(&marker)? + marker.len();
    Some(unescape(tag[at..].split('"').next().unwrap_or_default()))
}

fn has_flag(tag: &str, flag: &str) -> bool {
    tag.split_whitespace().any(|word| word == flag || word.starts_with(&format!("{flag}=")))
}

/// Undoes the escapes the templates' HTML escaping makes.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::FormFields;

    #[test]
    fn reads_what_a_browser_would_send() {
        let html = r#"<form id="other"><input name="x" value="no"></form>
            <form id="f" method="post"><input type="hidden" name="csrf_token" value="t">
            <input id="a" name="site" type="text" value="https:&#x2f;&#x2f;a.test&amp;b">
            <input name="off" type="checkbox" value="1"><input name="on" type="checkbox" value="1" checked>
            <textarea id="n" name="notes" rows="3">line &lt;1&gt;</textarea>
            <select name="p"><option value="low">Low</option><option value="high" selected>High</option></select>
            <select name="q"><option value="first">First</option></select></form>"#;
        let form = FormFields::of(html, "f");
        assert_eq!(
            form.0,
            [
                ("csrf_token", "t"),
                ("site", "https://a.test&b"),
                ("on", "1"),
                ("notes", "line <1>"),
                ("p", "high"),
                ("q", "first")
            ]
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
        );
        assert_eq!(
            form.with(&[("p", "low"), ("new", "v")]).pairs()[4..],
            [("p", "low"), ("q", "first"), ("new", "v")]
        );
    }
}
