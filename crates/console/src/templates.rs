//! The console's templates: the kit's own (`base.html`, `frame.html`, …) and every app's,
//! each replaceable by a file of the same name in `console.templates_dir`, so an integrator
//! overrides one page or the whole frame without forking anything.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use baseops_app::ConsoleTemplate;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

/// The kit's built-in templates.
pub const KIT: &[ConsoleTemplate] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("frame.html", include_str!("../templates/frame.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("work.html", include_str!("../templates/work.html")),
    ("work_cards.html", include_str!("../templates/work_cards.html")),
    ("error.html", include_str!("../templates/error.html")),
];

/// Longest template file read from the override directory.
const MAX_OVERRIDE_BYTES: u64 = 1 << 20;

/// The template environment: HTML auto-escaping, strict undefined variables, the `asset()`
/// function and the `money` and `when` filters.
pub(crate) fn environment(dir: Option<&Path>, apps: Vec<ConsoleTemplate>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    if let Ok(syntax) =
        minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).build()
    {
        env.set_syntax(syntax);
    }
    env.add_function("asset", |name: &str| {
        Value::from_safe_string(crate::assets::url(name).unwrap_or_default())
    });
    env.add_filter("when", when);
    env.add_filter("money", money);
    let built_in: HashMap<&'static str, &'static str> = KIT.iter().copied().chain(apps).collect();
    let dir: Option<PathBuf> = dir.map(Path::to_path_buf);
    env.set_loader(move |name| {
        if let Some(dir) = &dir
            && let Some(text) = read_override(dir, name)?
        {
            return Ok(Some(text));
        }
        Ok(built_in.get(name).map(|text| (*text).to_owned()))
    });
    env
}

/// A file of the override directory, when it exists; names with `..` or a leading `/` are
/// never looked up (the loader only sees our own template names, but stays safe anyway).
fn read_override(dir: &Path, name: &str) -> Result<Option<String>, minijinja::Error> {
    if name.split('/').any(|part| part.is_empty() || part == "..") {
        return Ok(None);
    }
    let path = dir.join(name);
    let Ok(meta) = std::fs::metadata(&path) else { return Ok(None) };
    if !meta.is_file() || meta.len() > MAX_OVERRIDE_BYTES {
        return Ok(None);
    }
    std::fs::read_to_string(&path).map(Some).map_err(|error| {
        minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, format!("{}: {error}", path.display()))
    })
}

/// An RFC 3339 time as `2026-12-06 14:05 UTC` (the console shows UTC until people choose a
/// zone in their profile).
fn when(value: Value) -> String {
    let text = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
    match chrono_like(&text) {
        Some(short) => short,
        None => text,
    }
}

fn chrono_like(text: &str) -> Option<String> {
    // `2026-12-06T14:05:09.123456Z` → `2026-12-06 14:05 UTC`; anything else stays as it is.
    let (date, time) = text.split_once('T')?;
    let hm = time.get(..5)?;
    (date.len() == 10 && hm.as_bytes().get(2) == Some(&b':')).then(|| format!("{date} {hm} UTC"))
}

/// Minor units and a currency code as `1,234.50 EUR` (the currency's own exponent).
fn money(amount: Value, currency: Option<Value>) -> String {
    let Some(minor) = amount.as_i64() else { return String::new() };
    let code = currency.as_ref().and_then(Value::as_str).unwrap_or("");
    let exponent = baseops_core::Currency::parse(code).map_or(2, |currency| currency.exponent());
    let scale = 10_i64.pow(exponent);
    let sign = if minor < 0 { "-" } else { "" };
    let units = (minor / scale).unsigned_abs();
    let fraction = (minor % scale).unsigned_abs();
    let digits = units.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let width = exponent as usize;
    let number =
        if width == 0 { format!("{sign}{grouped}") } else { format!("{sign}{grouped}.{fraction:0width$}") };
    if code.is_empty() { number } else { format!("{number} {code}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_uses_the_currency_exponent() {
        assert_eq!(money(Value::from(123_450), Some(Value::from("EUR"))), "1,234.50 EUR");
        assert_eq!(money(Value::from(1_000_000), Some(Value::from("JPY"))), "1,000,000 JPY");
        assert_eq!(money(Value::from(-5), Some(Value::from("KWD"))), "-0.005 KWD");
        assert_eq!(money(Value::from(0), None), "0.00");
    }

    #[test]
    fn times_are_shortened() {
        assert_eq!(when(Value::from("2026-12-06T14:05:09.123Z")), "2026-12-06 14:05 UTC");
        assert_eq!(when(Value::from("yesterday")), "yesterday");
    }

    #[test]
    fn a_file_overrides_one_template() {
        let dir = std::env::temp_dir().join(format!("baseops-console-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("error.html"), "custom {{ status }}").unwrap();
        let env = environment(Some(&dir), vec![("x/y.html", "app {{ 1 + 1 }}")]);
        let rendered = env.get_template("error.html").unwrap().render(minijinja::context! { status => 404 });
        assert_eq!(rendered.unwrap(), "custom 404");
        assert_eq!(env.get_template("x/y.html").unwrap().render(()).unwrap(), "app 2");
        assert!(env.get_template("../etc/passwd").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
