//! A bounded `text/event-stream` parser (WHATWG HTML §9.2.6).
//!
//! Neither `reqwest-eventsource` nor `eventsource-stream` bounds its buffers, and both drop a
//! `retry:` that comes in an event without data; this parser does neither. Memory is bounded
//! by the maximum event size: the line being read and the data being gathered may each hold at
//! most `max` bytes before [`Oversized`] is returned.

use std::time::Duration;

/// One complete event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawEvent {
    /// The `event:` field, `message` when absent.
    pub(crate) name: String,
    /// The last event ID buffer when the event was dispatched (empty when none was ever set).
    pub(crate) id: String,
    /// The `data:` lines joined with `\n`.
    pub(crate) data: String,
}

/// What a chunk of bytes produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parsed {
    Event(RawEvent),
    /// A `retry:` field: the server's reconnection time.
    Retry(Duration),
}

/// An event (or one line) grew past the maximum event size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Oversized {
    pub(crate) max: usize,
}

pub(crate) struct Parser {
    max: usize,
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` starting this one belongs to it.
    after_cr: bool,
    first_line: bool,
    data: String,
    name: String,
    /// The last event ID buffer, set by `id:` fields.
    id_buffer: String,
    /// The last event ID string, set from the buffer when an event is dispatched.
    last_event_id: String,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Parser {
    pub(crate) fn new(max: usize, last_id: &str) -> Parser {
        Parser {
            max: max.max(1),
            line: Vec::new(),
            after_cr: false,
            first_line: true,
            data: String::new(),
            name: String::new(),
            id_buffer: last_id.to_owned(),
            last_event_id: last_id.to_owned(),
        }
    }

    /// Feeds bytes; complete events and retry fields are appended to `out`.
    pub(crate) fn feed(
        &mut self,
        mut chunk: &[u8],
        out: &mut Vec<Parsed>,
    ) -> Result<(), Oversized> {
        if self.after_cr && chunk.first() == Some(&b'\n') {
            chunk = &chunk[1..];
        }
        self.after_cr = false;
        while !chunk.is_empty() {
            match chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
                None => {
                    self.push_line_bytes(chunk)?;
                    break;
                }
                Some(i) => {
                    self.push_line_bytes(&chunk[..i])?;
                    let cr = chunk[i] == b'\r';
                    chunk = &chunk[i + 1..];
                    if cr {
                        match chunk.first() {
                            Some(b'\n') => chunk = &chunk[1..],
                            None => self.after_cr = true,
                            Some(_) => {}
                        }
                    }
                    self.end_line(out)?;
                }
            }
        }
        Ok(())
    }

    fn push_line_bytes(&mut self, bytes: &[u8]) -> Result<(), Oversized> {
        if self.line.len() + bytes.len() > self.max {
            return Err(Oversized { max: self.max });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn end_line(&mut self, out: &mut Vec<Parsed>) -> Result<(), Oversized> {
        let mut line = std::mem::take(&mut self.line);
        if std::mem::replace(&mut self.first_line, false) && line.starts_with(BOM) {
            line.drain(..BOM.len());
        }
        let result = self.process(&line, out);
        // Keep the allocation (bounded by `max`) for the next line.
        line.clear();
        self.line = line;
        result
    }

    fn process(&mut self, line: &[u8], out: &mut Vec<Parsed>) -> Result<(), Oversized> {
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match field {
            b"event" => self.name = String::from_utf8_lossy(value).into_owned(),
            b"data" => {
                if self.data.len() + value.len() + 1 > self.max {
                    return Err(Oversized { max: self.max });
                }
                self.data.push_str(&String::from_utf8_lossy(value));
                self.data.push('\n');
            }
            b"id" if !value.contains(&0) => {
                self.id_buffer = String::from_utf8_lossy(value).into_owned();
            }
            b"retry" => {
                if !value.is_empty()
                    && value.iter().all(u8::is_ascii_digit)
                    && let Ok(ms) = std::str::from_utf8(value).unwrap_or("").parse::<u64>()
                {
                    out.push(Parsed::Retry(Duration::from_millis(ms)));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, out: &mut Vec<Parsed>) {
        // Even a block without data (`id: 7` then a blank line) moves the resume point.
        self.last_event_id.clone_from(&self.id_buffer);
        let name = std::mem::take(&mut self.name);
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop(); // the trailing `\n`
        out.push(Parsed::Event(RawEvent {
            name: if name.is_empty() {
                "message".to_owned()
            } else {
                name
            },
            id: self.last_event_id.clone(),
            data,
        }));
    }

    /// The last event ID string: what `Last-Event-ID` carries on reconnection.
    pub(crate) fn last_event_id(&self) -> &str {
        &self.last_event_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(name: &str, id: &str, data: &str) -> Parsed {
        Parsed::Event(RawEvent {
            name: name.into(),
            id: id.into(),
            data: data.into(),
        })
    }

    fn parse_in_pieces(input: &[u8], piece: usize) -> Vec<Parsed> {
        let mut p = Parser::new(1024, "");
        let mut out = Vec::new();
        for c in input.chunks(piece) {
            p.feed(c, &mut out).unwrap();
        }
        out
    }

    #[test]
    fn fields_events_and_line_endings_in_any_split() {
        let input = b"\xEF\xBB\xBF: comment\r\nevent: add\r\ndata: {\"a\":1}\r\nid: 7\r\n\r\n\
data:x\rdata: y\r\rretry: 500\nretry: 5s\nid\ndata\n\nfoo: bar\n\n";
        let expected = vec![
            ev("add", "7", "{\"a\":1}"),
            ev("message", "7", "x\ny"),
            Parsed::Retry(Duration::from_millis(500)),
            ev("message", "", ""),
        ];
        // `id` alone clears the id; `data` alone is an empty data line, so the event is
        // dispatched with empty data (the data buffer held "\n").
        for piece in 1..=input.len() {
            assert_eq!(parse_in_pieces(input, piece), expected, "piece {piece}");
        }
    }

    #[test]
    fn retry_without_data_is_still_honoured_and_no_event_is_dispatched() {
        assert_eq!(
            parse_in_pieces(b"retry: 2000\n\n", 3),
            vec![Parsed::Retry(Duration::from_millis(2000))]
        );
    }

    #[test]
    fn the_id_persists_and_starts_from_the_resume_point() {
        let mut p = Parser::new(100, "41");
        let mut out = Vec::new();
        p.feed(b"data: a\n\nid: 42\ndata: b\n\ndata: c\n\n", &mut out)
            .unwrap();
        assert_eq!(
            out,
            vec![
                ev("message", "41", "a"),
                ev("message", "42", "b"),
                ev("message", "42", "c")
            ]
        );
        assert_eq!(p.last_event_id(), "42");
        // An id in an event not yet complete does not move the resume point.
        p.feed(b"id: 43\ndata: d\n", &mut out).unwrap();
        assert_eq!(p.last_event_id(), "42");
        p.feed(b"\nid: 44\n\n", &mut out).unwrap();
        assert_eq!(p.last_event_id(), "44");
    }

    #[test]
    fn an_endless_line_or_event_is_refused_at_the_limit() {
        let mut p = Parser::new(16, "");
        let mut out = Vec::new();
        assert!(p.feed(b"data: 0123456789", &mut out).is_ok());
        assert_eq!(p.feed(b"abcdef", &mut out), Err(Oversized { max: 16 }));
        let mut p = Parser::new(16, "");
        let many = b"data: 0123\n".repeat(4);
        assert_eq!(p.feed(&many, &mut out), Err(Oversized { max: 16 }));
        // Comments and unknown fields do not accumulate.
        let mut p = Parser::new(16, "");
        for _ in 0..1000 {
            p.feed(b":keepalive\nx: y\n", &mut out).unwrap();
        }
        assert!(out.is_empty());
    }
}
