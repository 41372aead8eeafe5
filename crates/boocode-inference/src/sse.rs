//! An incremental Server-Sent Events parser (the WHATWG event-stream format).
//!
//! Bytes go in as the network delivers them; whole events come out. Lines may end in LF, CRLF or
//! CR (a CRLF split across two reads is handled); `:` lines are comments; several `data:` lines
//! join with newlines. Lines are decoded only once complete, so a UTF-8 character split across
//! reads arrives intact.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, when present.
    pub(crate) event: Option<String>,
    /// The joined `data:` lines.
    pub(crate) data: String,
}

/// The event or line grew past the parser's limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseTooLarge {
    pub(crate) limit: usize,
}

/// Incremental parser state.
#[derive(Debug)]
pub(crate) struct SseParser {
    buf: Vec<u8>,
    /// The last byte fed was a CR; a LF at the start of the next read belongs to it.
    after_cr: bool,
    data: String,
    has_data: bool,
    event: Option<String>,
    limit: usize,
}

impl SseParser {
    /// A parser that refuses lines or events larger than `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            buf: Vec::new(),
            after_cr: false,
            data: String::new(),
            has_data: false,
            event: None,
            limit,
        }
    }

    /// Feeds bytes; calls `on_event` for every event they complete.
    pub(crate) fn feed(
        &mut self,
        mut bytes: &[u8],
        on_event: &mut impl FnMut(SseEvent),
    ) -> Result<(), SseTooLarge> {
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        while !bytes.is_empty() {
            let Some(pos) = memchr::memchr2(b'\n', b'\r', bytes) else {
                self.buf.extend_from_slice(bytes);
                if self.buf.len() > self.limit {
                    return Err(SseTooLarge { limit: self.limit });
                }
                return Ok(());
            };
            let line_end = pos;
            let mut next = pos + 1;
            if bytes[pos] == b'\r' {
                if next < bytes.len() {
                    if bytes[next] == b'\n' {
                        next += 1;
                    }
                } else {
                    self.after_cr = true;
                }
            }
            if self.buf.is_empty() {
                self.line(&bytes[..line_end], on_event)?;
            } else {
                self.buf.extend_from_slice(&bytes[..line_end]);
                let line = std::mem::take(&mut self.buf);
                self.line(&line, on_event)?;
                // Keep the allocation for the next partial line.
                self.buf = line;
                self.buf.clear();
            }
            bytes = &bytes[next..];
        }
        Ok(())
    }

    /// Ends the input: a final line without a terminator, and an event without its blank line,
    /// are still delivered (servers often close right after their last event).
    pub(crate) fn finish(
        &mut self,
        on_event: &mut impl FnMut(SseEvent),
    ) -> Result<(), SseTooLarge> {
        if !self.buf.is_empty() {
            let line = std::mem::take(&mut self.buf);
            self.line(&line, on_event)?;
        }
        self.dispatch(on_event);
        Ok(())
    }

    fn line(
        &mut self,
        line: &[u8],
        on_event: &mut impl FnMut(SseEvent),
    ) -> Result<(), SseTooLarge> {
        if line.is_empty() {
            self.dispatch(on_event);
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&String::from_utf8_lossy(value));
                self.has_data = true;
                if self.data.len() > self.limit {
                    return Err(SseTooLarge { limit: self.limit });
                }
            }
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            // `id` and `retry` matter for reconnecting browsers, not for a completion stream.
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, on_event: &mut impl FnMut(SseEvent)) {
        if !self.has_data {
            self.event = None;
            return;
        }
        self.has_data = false;
        on_event(SseEvent {
            event: self.event.take(),
            data: std::mem::take(&mut self.data),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(input: &[u8], piece: usize) -> Vec<SseEvent> {
        let mut parser = SseParser::new(1 << 20);
        let mut out = Vec::new();
        for chunk in input.chunks(piece.max(1)) {
            parser.feed(chunk, &mut |e| out.push(e)).unwrap();
        }
        parser.finish(&mut |e| out.push(e)).unwrap();
        out
    }

    fn data(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn every_line_ending_and_every_split_point_give_the_same_events() {
        let input = "data: one\n\n: a comment\r\ndata: two\r\ndata:  three\r\n\r\nevent: error\rdata:{\"x\":\"é😀\"}\r\r";
        for piece in 1..input.len() {
            let events = parse_in_pieces(input.as_bytes(), piece);
            assert_eq!(
                data(&events),
                vec!["one", "two\n three", "{\"x\":\"é😀\"}"],
                "piece size {piece}"
            );
            assert_eq!(events[2].event.as_deref(), Some("error"));
            assert_eq!(events[0].event, None);
        }
    }

    #[test]
    fn a_utf8_character_split_across_reads_arrives_whole() {
        let text = "data: naïve — 日本\n\n".as_bytes();
        // Split inside the multi-byte characters.
        let mut parser = SseParser::new(1024);
        let mut out = Vec::new();
        for (a, b) in [(0, 9), (9, 13), (13, 20), (20, text.len())] {
            parser.feed(&text[a..b], &mut |e| out.push(e)).unwrap();
        }
        assert_eq!(data(&out), vec!["naïve — 日本"]);
    }

    #[test]
    fn a_trailing_event_without_a_blank_line_is_delivered_at_the_end() {
        assert_eq!(data(&parse_in_pieces(b"data: [DONE]", 4)), vec!["[DONE]"]);
        assert!(parse_in_pieces(b"event: x\n\n: only a comment\n", 3).is_empty());
    }

    #[test]
    fn oversized_lines_are_refused() {
        let mut parser = SseParser::new(16);
        let err = parser.feed(&[b'a'; 40], &mut |_| {}).unwrap_err();
        assert_eq!(err.limit, 16);
        let mut parser = SseParser::new(16);
        let big = format!("data: {}\n", "x".repeat(20));
        assert!(parser.feed(big.as_bytes(), &mut |_| {}).is_err());
    }
}
