//! The two standard Type1 fonts the documents use, Helvetica and Helvetica-Bold, in
//! WinAnsiEncoding: the Unicode → WinAnsi mapping, the glyph widths to measure text with,
//! and word wrapping.
//!
//! The standard 14 fonts are built into every PDF reader, so nothing is embedded and a page
//! costs a few kilobytes; the price is WinAnsi's repertoire (Western European Latin): any
//! other character is printed as `?`.

/// Which of the two fonts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    /// Helvetica.
    Regular,
    /// Helvetica-Bold.
    Bold,
}

impl Font {
    /// The PDF base font name.
    pub(crate) fn base_name(self) -> &'static [u8] {
        match self {
            Self::Regular => b"Helvetica",
            Self::Bold => b"Helvetica-Bold",
        }
    }

    /// The resource name pages refer to it by.
    pub(crate) fn resource(self) -> &'static [u8] {
        match self {
            Self::Regular => b"F1",
            Self::Bold => b"F2",
        }
    }

    fn widths(self) -> &'static [u16; 224] {
        match self {
            Self::Regular => &HELVETICA,
            Self::Bold => &HELVETICA_BOLD,
        }
    }

    /// The width of WinAnsi-encoded text at `size` points.
    pub(crate) fn measure(self, encoded: &[u8], size: f32) -> f32 {
        let widths = self.widths();
        let units: u32 =
            encoded.iter().map(|&byte| u32::from(widths[usize::from(byte.saturating_sub(32))])).sum();
        // Lossless enough: a line of text is far below f32's exact-integer range.
        units as f32 * size / 1000.0
    }
}

/// WinAnsi 0x80–0x9F, which differ from Latin-1's C1 controls; 0 where WinAnsi has nothing.
const HIGH: [char; 32] = [
    '€', '\0', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\0', 'Ž', '\0', '\0', '‘', '’', '“',
    '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\0', 'ž', 'Ÿ',
];

/// The WinAnsi byte of a character, `?` when WinAnsi lacks it.
pub(crate) fn win_ansi(character: char) -> u8 {
    match character {
        ' '..='~' => character as u8,
        // Separators a reader shows as a space: tabs, line ends, the narrow and thin spaces.
        '\t' | '\n' | '\r' | '\u{2009}' | '\u{2002}' | '\u{2003}' => b' ',
        '\u{202F}' | '\u{00A0}' => 0xA0,
        '\u{00A1}'..='\u{00FF}' => character as u8,
        '\u{2212}' | '\u{2010}' | '\u{2011}' => b'-',
        _ => {
            HIGH.iter().position(|&high| high == character && high != '\0').map_or(b'?', |at| 0x80 + at as u8)
        }
    }
}

/// Text in WinAnsi, each character outside it as `?`.
pub(crate) fn encode(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi).collect()
}

/// Splits text into lines no wider than `width`: at spaces, at line breaks in the text, and
/// inside a word only when the word alone is too wide. Lines come back encoded.
pub(crate) fn wrap(text: &str, font: Font, size: f32, width: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let space = font.measure(b" ", size);
    for paragraph in text.split('\n') {
        let mut line: Vec<u8> = Vec::new();
        let mut line_width = 0.0;
        for word in paragraph.split([' ', '\t', '\r']).filter(|word| !word.is_empty()) {
            let mut word = encode(word);
            let mut word_width = font.measure(&word, size);
            if !line.is_empty() && line_width + space + word_width <= width {
                line.push(b' ');
                line.extend_from_slice(&word);
                line_width += space + word_width;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word wider than the column is cut where it reaches the edge.
            while word_width > width && word.len() > 1 {
                let mut cut = 1;
                while cut < word.len() && font.measure(&word[..=cut], size) <= width {
                    cut += 1;
                }
                lines.push(word[..cut].to_vec());
                word.drain(..cut);
                word_width = font.measure(&word, size);
            }
            line = word;
            line_width = word_width;
        }
        lines.push(line);
    }
    lines
}

/// Helvetica's widths (thousandths of the font size) for the WinAnsi codes 32–255, from
/// Adobe's AFM; the codes WinAnsi leaves undefined get a space's width (never drawn).
#[rustfmt::skip]
const HELVETICA: [u16; 224] = [
    // 32–127
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 278,
    // 128–159
    556, 278, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 278, 611, 278,
    278, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 278, 500, 667,
    // 160–255
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

/// Helvetica-Bold's widths, as [`HELVETICA`].
#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 224] = [
    // 32–127
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 278,
    // 128–159
    556, 278, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 278, 611, 278,
    278, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 278, 500, 667,
    // 160–255
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];
