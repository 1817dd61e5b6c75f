//! Opening a CSV file: text decoding, separator detection, headers, records.

/// Why a file cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// No header row.
    #[error("the file is empty")]
    Empty,
    /// The CSV structure is broken (an unterminated quote, …).
    #[error("the file is not valid CSV: {0}")]
    Malformed(String),
    /// More columns than anyone maps.
    #[error("the file has {0} columns; at most {MAX_COLUMNS} are read")]
    TooManyColumns(usize),
}

/// Most columns a file may have.
pub const MAX_COLUMNS: usize = 100;
/// Separators recognized when none is given.
pub const SEPARATORS: &[u8] = b",;\t|";

/// A file decoded to text, with its separator and headers.
#[derive(Debug, Clone)]
pub struct CsvFile {
    text: String,
    /// The separator.
    pub delimiter: u8,
    /// The header row, trimmed (`column 3` for an empty header).
    pub headers: Vec<String>,
}

/// UTF-8 (a BOM dropped), or else Latin-1 / Windows-1252 as old spreadsheets write it.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&byte| char::from(byte)).collect(),
    }
}

/// The separator of the first line: the most frequent of `, ; tab |` outside quotes.
pub fn sniff(text: &str) -> u8 {
    let mut counts = [0_usize; 4];
    let mut quoted = false;
    for byte in text.bytes() {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(index) = SEPARATORS.iter().position(|&sep| sep == byte) {
                    counts[index] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..SEPARATORS.len()).max_by_key(|&index| (counts[index], usize::MAX - index)).unwrap_or(0);
    if counts[best] == 0 { b',' } else { SEPARATORS[best] }
}

impl CsvFile {
    /// Opens `bytes` with `delimiter`, or the one [`sniff`] finds.
    ///
    /// # Errors
    /// [`ReadError`] when there is no header row or it is not CSV.
    pub fn open(bytes: &[u8], delimiter: Option<u8>) -> Result<Self, ReadError> {
        let text = decode(bytes);
        if text.trim().is_empty() {
            return Err(ReadError::Empty);
        }
        let delimiter = delimiter.unwrap_or_else(|| sniff(&text));
        let mut reader = builder(delimiter).from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|error| ReadError::Malformed(error.to_string()))?;
        if headers.len() > MAX_COLUMNS {
            return Err(ReadError::TooManyColumns(headers.len()));
        }
        let headers = headers
            .iter()
            .enumerate()
            .map(|(index, header)| {
                let header = header.trim();
                if header.is_empty() { format!("column {}", index + 1) } else { header.to_owned() }
            })
            .collect();
        Ok(Self { text, delimiter, headers })
    }

    /// The data records in order, each with its row number (the header is row 1).
    pub fn records(&self) -> impl Iterator<Item = (u64, Result<csv::StringRecord, String>)> + '_ {
        builder(self.delimiter)
            .from_reader(self.text.as_bytes())
            .into_records()
            .enumerate()
            .map(|(index, record)| (index as u64 + 2, record.map_err(|error| error.to_string())))
    }
}

fn builder(delimiter: u8) -> csv::ReaderBuilder {
    let mut builder = csv::ReaderBuilder::new();
    builder.delimiter(delimiter).flexible(true).has_headers(true).trim(csv::Trim::All);
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messy_files_open() {
        let file =
            CsvFile::open(b"\xEF\xBB\xBFName;E-mail\n\"Ada\nLovelace\";ada@example.com\n", None).unwrap();
        assert_eq!(file.delimiter, b';');
        assert_eq!(file.headers, ["Name", "E-mail"]);
        let records: Vec<_> = file.records().collect();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].0, 2);
        assert_eq!(&records[0].1.as_ref().unwrap()[0], "Ada\nLovelace");
        let latin = CsvFile::open(b"name\nJos\xe9\n", None).unwrap();
        assert_eq!(&latin.records().next().unwrap().1.unwrap()[0], "Jos\u{e9}");
        assert_eq!(CsvFile::open(b"  \n", None).unwrap_err(), ReadError::Empty);
        assert_eq!(sniff("a\tb\tc\n"), b'\t');
        assert_eq!(sniff("\"a;b\",c\n"), b',');
    }
}
