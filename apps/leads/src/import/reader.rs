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

/// UTF-8 (a BOM dropped), or else Windows-1252 as old spreadsheets write it.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&byte| windows_1252(byte)).collect(),
    }
}

/// Windows-1252 is Latin-1 but for 0x80–0x9F, where it has printable characters (`€`, curly
/// quotes, …) instead of C1 controls; its five unassigned bytes stay controls (and are refused).
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
        '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9f => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
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

    /// The data records in order, each with its row number (the header is row 1). A record
    /// with a cell holding a control character no text may hold (NUL, …) is an error, as the
    /// same text would be in a JSON body.
    pub fn records(&self) -> impl Iterator<Item = (u64, Result<csv::StringRecord, String>)> + '_ {
        builder(self.delimiter).from_reader(self.text.as_bytes()).into_records().enumerate().map(
            |(index, record)| {
                let record = record.map_err(|error| error.to_string()).and_then(|record| {
                    match record.iter().enumerate().find_map(|(column, cell)| {
                        baseops_core::text::first_forbidden(cell).map(|c| (column, c))
                    }) {
                        Some((column, c)) => Err(format!(
                            "the cell in column {} contains the control character {}",
                            column + 1,
                            baseops_core::text::code_point(c)
                        )),
                        None => Ok(record),
                    }
                });
                (index as u64 + 2, record)
            },
        )
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
        let nul = CsvFile::open(b"name,email\nAda,ada@example.com\nBad\x00,x@example.com\n", None).unwrap();
        let rows: Vec<_> = nul.records().collect();
        assert!(rows[0].1.is_ok());
        assert_eq!(
            rows[1].1.as_ref().unwrap_err(),
            "the cell in column 1 contains the control character U+0000"
        );
        let latin = CsvFile::open(b"name\nJos\xe9 \x80\x93\n", None).unwrap();
        assert_eq!(&latin.records().next().unwrap().1.unwrap()[0], "Jos\u{e9} €\u{201c}");
        assert_eq!(CsvFile::open(b"  \n", None).unwrap_err(), ReadError::Empty);
        assert_eq!(sniff("a\tb\tc\n"), b'\t');
        assert_eq!(sniff("\"a;b\",c\n"), b',');
    }
}
