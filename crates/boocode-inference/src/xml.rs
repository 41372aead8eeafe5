//! Inline tool calls left in `content` by servers that did not parse them, and `<think>` blocks
//! left in content by servers that did not split reasoning.
//!
//! Three call shapes are understood: `<tool_call>{"name": …, "arguments": {…}}</tool_call>`
//! (Hermes, Qwen2.5/3), `<tool_call><function=NAME><parameter=KEY>value</parameter>…
//! </function></tool_call>` (Qwen3-Coder, Qwen3.5) and Mistral's `[TOOL_CALLS]` (see
//! [`crate::mistral`]). The filter works while streaming: anything that could still become a
//! tag is held back, so markup never reaches the user as text.
//!
//! Inside a leading `<think>` block a `<tool_call>` is a call only when a call body follows it
//! (`<function=` or `{`): Qwen3.5 emits real calls there, and models also write about the tag
//! in prose, which must stay reasoning. Markup that does not parse is shown, never dropped.

use serde_json::{Map, Value};
use std::collections::HashMap;

const OPEN: &str = "<tool_call>";
const CLOSE: &str = "</tool_call>";
const THINK_OPEN: &str = "<think>";
const THINK_CLOSE: &str = "</think>";
const MISTRAL: &str = crate::mistral::MARKER;

/// What the filter lets through.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filtered {
    /// Ordinary text.
    Text(String),
    /// Text from a `<think>` block.
    Reasoning(String),
    /// A complete inline tool call.
    Call {
        /// Tool name.
        name: String,
        /// Arguments as JSON object text.
        arguments: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing but whitespace seen yet: a `<think>` block may open.
    Start,
    /// Inside a leading `<think>` block.
    Think,
    /// Just after `</think>`: the newlines before the answer are dropped.
    AfterThink,
    /// Ordinary text.
    Text,
    /// Inside `<tool_call>`.
    Call,
    /// Inside a `<tool_call>` within the leading `<think>` block.
    ThinkCall,
    /// After Mistral's `[TOOL_CALLS]`: the calls run to the end of the content.
    Mistral,
}

/// Streaming filter over content deltas.
#[derive(Debug)]
pub(crate) struct InlineFilter {
    state: State,
    pending: String,
    /// Parameter schemas by tool name, for typing Qwen3-Coder parameter values.
    schemas: HashMap<String, Value>,
}

impl InlineFilter {
    pub(crate) fn new(schemas: HashMap<String, Value>) -> Self {
        Self {
            state: State::Start,
            pending: String::new(),
            schemas,
        }
    }

    /// Feeds a content delta; pushes whatever can be released.
    pub(crate) fn feed(&mut self, text: &str, out: &mut Vec<Filtered>) {
        self.pending.push_str(text);
        self.drain(out, false);
    }

    /// Ends the content: held-back text is released and an unclosed call is parsed leniently
    /// (or released as text when it cannot be parsed).
    pub(crate) fn finish(&mut self, out: &mut Vec<Filtered>) {
        self.drain(out, true);
        let rest = std::mem::take(&mut self.pending);
        match self.state {
            State::Call => match self.parse_call(&rest) {
                Some(call) => out.push(call),
                None => push_text(out, format!("{OPEN}{rest}")),
            },
            State::ThinkCall => match self.parse_call(&rest) {
                Some(call) => out.push(call),
                None => push_reasoning(out, format!("{OPEN}{rest}")),
            },
            State::Mistral => match crate::mistral::parse_calls(&rest) {
                Some(calls) => out.extend(
                    calls
                        .into_iter()
                        .map(|(name, arguments)| Filtered::Call { name, arguments }),
                ),
                // Not calls after all: show it rather than lose it.
                None => push_text(out, format!("{MISTRAL}{rest}")),
            },
            State::Think => push_reasoning(out, rest),
            State::Start | State::AfterThink | State::Text => push_text(out, rest),
        }
    }

    fn drain(&mut self, out: &mut Vec<Filtered>, at_end: bool) {
        loop {
            match self.state {
                State::Start => {
                    let trimmed = self.pending.trim_start();
                    if trimmed.is_empty() {
                        return;
                    }
                    if let Some(rest) = trimmed.strip_prefix(THINK_OPEN) {
                        self.pending = rest.to_owned();
                        self.state = State::Think;
                    } else if THINK_OPEN.starts_with(trimmed) && !at_end {
                        return;
                    } else {
                        self.state = State::Text;
                    }
                }
                State::Think => match self.think_call_start(out, at_end) {
                    Some(true) => self.state = State::ThinkCall,
                    Some(false) => return,
                    None => match self.pending.find(THINK_CLOSE) {
                        Some(i) => {
                            let reasoning: String =
                                self.pending.drain(..i + THINK_CLOSE.len()).collect();
                            push_reasoning(out, reasoning[..i].to_owned());
                            self.state = State::AfterThink;
                        }
                        None => {
                            let keep = partial_suffix(&self.pending, THINK_CLOSE)
                                .max(partial_suffix(&self.pending, OPEN));
                            let release = self.pending.len() - keep;
                            let reasoning: String = self.pending.drain(..release).collect();
                            push_reasoning(out, reasoning);
                            return;
                        }
                    },
                },
                State::AfterThink => {
                    // The answer usually starts after a newline or two.
                    let cut = self.pending.len() - self.pending.trim_start().len();
                    self.pending.drain(..cut);
                    if self.pending.is_empty() {
                        return;
                    }
                    self.state = State::Text;
                }
                State::Text => match first_of(&self.pending, &[OPEN, MISTRAL]) {
                    Some((i, tag)) => {
                        let text: String = self.pending.drain(..i + tag.len()).collect();
                        push_text(out, text[..i].to_owned());
                        self.state = if tag == OPEN {
                            State::Call
                        } else {
                            State::Mistral
                        };
                    }
                    None => {
                        let keep = partial_suffix(&self.pending, OPEN)
                            .max(partial_suffix(&self.pending, MISTRAL));
                        let release = self.pending.len() - keep;
                        let text: String = self.pending.drain(..release).collect();
                        push_text(out, text);
                        return;
                    }
                },
                State::Call => match self.pending.find(CLOSE) {
                    Some(i) => {
                        let body: String = self.pending.drain(..i + CLOSE.len()).collect();
                        let body = &body[..i];
                        match self.parse_call(body) {
                            Some(call) => out.push(call),
                            // Not a call after all: show it rather than lose it.
                            None => push_text(out, format!("{OPEN}{body}{CLOSE}")),
                        }
                        self.state = State::Text;
                    }
                    None => return,
                },
                State::ThinkCall => match self.pending.find(CLOSE) {
                    Some(i) => {
                        let body: String = self.pending.drain(..i + CLOSE.len()).collect();
                        let body = &body[..i];
                        match self.parse_call(body) {
                            Some(call) => out.push(call),
                            None => push_reasoning(out, format!("{OPEN}{body}{CLOSE}")),
                        }
                        self.state = State::Think;
                    }
                    None => return,
                },
                // Everything to the end belongs to the calls.
                State::Mistral => return,
            }
        }
    }

    /// In the `<think>` block: whether a `<tool_call>` that opens a call comes before
    /// `</think>`. `Some(true)`: the reasoning before it is released and the tag consumed.
    /// `Some(false)`: it cannot be told yet (the body has not arrived); the reasoning before
    /// it is released. `None`: no call starts here (a tag in prose is left as reasoning).
    fn think_call_start(&mut self, out: &mut Vec<Filtered>, at_end: bool) -> Option<bool> {
        let close = self.pending.find(THINK_CLOSE);
        // Tags named in prose are skipped over, not drained one by one: a model may name the
        // tag any number of times, and the caller releases them with the rest as reasoning.
        let mut from = 0;
        loop {
            let open = from + self.pending[from..].find(OPEN)?;
            if close.is_some_and(|close| close < open) {
                return None;
            }
            let after = self.pending[open + OPEN.len()..].trim_start();
            let is_call = after.starts_with("<function=") || after.starts_with('{');
            let undecided = !at_end && (after.is_empty() || "<function=".starts_with(after));
            if !is_call && !undecided {
                from = open + OPEN.len();
                continue;
            }
            let reasoning: String = self.pending.drain(..open).collect();
            push_reasoning(out, reasoning);
            if undecided {
                return Some(false);
            }
            self.pending.drain(..OPEN.len());
            return Some(true);
        }
    }

    fn parse_call(&self, body: &str) -> Option<Filtered> {
        let body = body.trim();
        if body.starts_with('{') {
            return parse_json_call(body);
        }
        self.parse_function_call(body)
    }

    fn parse_function_call(&self, body: &str) -> Option<Filtered> {
        let rest = body.strip_prefix("<function=")?;
        let end = rest.find('>')?;
        let name = rest[..end].trim().to_owned();
        if name.is_empty() {
            return None;
        }
        let mut rest = &rest[end + 1..];
        let properties = self
            .schemas
            .get(&name)
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object);
        let mut args = Map::new();
        while let Some(start) = rest.find("<parameter=") {
            let after = &rest[start + "<parameter=".len()..];
            let Some(key_end) = after.find('>') else {
                break;
            };
            let key = after[..key_end].trim().to_owned();
            let value_and_more = &after[key_end + 1..];
            // The value runs to `</parameter>`, or to the next parameter or the function's end
            // when the closer is missing.
            let stop = [
                "</parameter>",
                "\n<parameter=",
                "<parameter=",
                "</function>",
            ]
            .iter()
            .filter_map(|m| value_and_more.find(m))
            .min()
            .unwrap_or(value_and_more.len());
            let raw = strip_one_newline(&value_and_more[..stop]);
            let schema = properties.and_then(|p| p.get(&key));
            args.insert(key, coerce(raw, schema));
            rest = &value_and_more[stop..];
            rest = rest.strip_prefix("</parameter>").unwrap_or(rest);
        }
        Some(Filtered::Call {
            name,
            arguments: Value::Object(args).to_string(),
        })
    }
}

fn parse_json_call(body: &str) -> Option<Filtered> {
    let value: Value = serde_json::from_str(body).ok()?;
    let name = value.get("name")?.as_str()?.to_owned();
    let args = value
        .get("arguments")
        .or_else(|| value.get("parameters"))
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let arguments = match args {
        // Some models put the arguments object in a string.
        Value::String(s) => s,
        other => other.to_string(),
    };
    Some(Filtered::Call { name, arguments })
}

fn strip_one_newline(value: &str) -> &str {
    let value = value
        .strip_prefix("\r\n")
        .or_else(|| value.strip_prefix('\n'))
        .unwrap_or(value);
    value
        .strip_suffix("\r\n")
        .or_else(|| value.strip_suffix('\n'))
        .unwrap_or(value)
}

/// Types a Qwen3-Coder parameter value by the tool's JSON schema.
fn coerce(raw: &str, schema: Option<&Value>) -> Value {
    if raw == "null" {
        return Value::Null;
    }
    let ty = schema.and_then(|s| s.get("type")).map(|t| match t {
        // `["integer", "null"]` and the like: the first non-null type decides.
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string")
            .to_owned(),
        other => other.as_str().unwrap_or("string").to_owned(),
    });
    let as_string = || Value::String(raw.to_owned());
    match ty.as_deref() {
        Some("string") => as_string(),
        Some("integer") => raw
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| as_string()),
        Some("number") => match raw.trim().parse::<f64>() {
            Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            Ok(f) => serde_json::Number::from_f64(f).map_or_else(as_string, Value::Number),
            Err(_) => as_string(),
        },
        Some("boolean") => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => as_string(),
        },
        Some("object") | Some("array") => serde_json::from_str(raw).unwrap_or_else(|_| as_string()),
        _ => {
            let t = raw.trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                serde_json::from_str(raw).unwrap_or_else(|_| as_string())
            } else {
                as_string()
            }
        }
    }
}

/// Length of the longest suffix of `text` that is a proper prefix of `tag` (text that could
/// still become the tag).
/// The earliest of `tags` in `text`: its position and which.
fn first_of<'t>(text: &str, tags: &[&'t str]) -> Option<(usize, &'t str)> {
    tags.iter()
        .filter_map(|tag| text.find(tag).map(|i| (i, *tag)))
        .min_by_key(|(i, _)| *i)
}

fn partial_suffix(text: &str, tag: &str) -> usize {
    let max = text.len().min(tag.len() - 1);
    (1..=max)
        .rev()
        .find(|&n| {
            text.is_char_boundary(text.len() - n) && tag.starts_with(&text[text.len() - n..])
        })
        .unwrap_or(0)
}

fn push_text(out: &mut Vec<Filtered>, text: String) {
    if text.is_empty() {
        return;
    }
    if let Some(Filtered::Text(prev)) = out.last_mut() {
        prev.push_str(&text);
    } else {
        out.push(Filtered::Text(text));
    }
}

fn push_reasoning(out: &mut Vec<Filtered>, text: String) {
    if text.is_empty() {
        return;
    }
    if let Some(Filtered::Reasoning(prev)) = out.last_mut() {
        prev.push_str(&text);
    } else {
        out.push(Filtered::Reasoning(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_think_block_naming_the_tag_a_hundred_thousand_times_stays_reasoning() {
        let mut filter = InlineFilter::new(HashMap::new());
        let prose = "the <tool_call> tag. ".repeat(100_000);
        let mut out = Vec::new();
        filter.feed(&format!("<think>{prose}</think>Done."), &mut out);
        filter.finish(&mut out);
        let reasoning: String = out
            .iter()
            .filter_map(|f| match f {
                Filtered::Reasoning(r) => Some(r.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(reasoning, prose);
        assert!(!out.iter().any(|f| matches!(f, Filtered::Call { .. })));
        assert!(out.contains(&Filtered::Text("Done.".into())));
    }
    use serde_json::json;

    fn run(pieces: &[&str], schemas: HashMap<String, Value>) -> Vec<Filtered> {
        let mut f = InlineFilter::new(schemas);
        let mut out = Vec::new();
        for p in pieces {
            f.feed(p, &mut out);
        }
        f.finish(&mut out);
        // Merge adjacent text for comparison.
        let mut merged: Vec<Filtered> = Vec::new();
        for item in out {
            match item {
                Filtered::Text(t) => push_text(&mut merged, t),
                Filtered::Reasoning(t) => push_reasoning(&mut merged, t),
                call => merged.push(call),
            }
        }
        merged
    }

    fn call(name: &str, args: Value) -> Filtered {
        Filtered::Call {
            name: name.into(),
            arguments: args.to_string(),
        }
    }

    fn chars(s: &str) -> Vec<String> {
        s.chars().map(String::from).collect()
    }

    #[test]
    fn json_form_is_extracted_at_every_split() {
        let input = "Let me look.\n<tool_call>\n{\"name\": \"grep\", \"arguments\": {\"pattern\": \"fn main\"}}\n</tool_call>";
        let pieces = chars(input);
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        for out in [run(&[input], HashMap::new()), run(&refs, HashMap::new())] {
            assert_eq!(
                out,
                vec![
                    Filtered::Text("Let me look.\n".into()),
                    call("grep", json!({"pattern": "fn main"})),
                ]
            );
        }
    }

    #[test]
    fn qwen3_coder_form_is_typed_by_the_schema() {
        let schemas = HashMap::from([(
            "view_file".to_owned(),
            json!({"type": "object", "properties": {
                "path": {"type": "string"},
                "start_line": {"type": "integer"},
                "ratio": {"type": "number"},
                "numbered": {"type": "boolean"},
                "ranges": {"type": "array"},
                "note": {"type": ["string", "null"]}
            }}),
        )]);
        let input = "<tool_call>\n<function=view_file>\n<parameter=path>\nsrc/main.rs\n</parameter>\n<parameter=start_line>\n10\n</parameter>\n<parameter=ratio>\n2.0\n</parameter>\n<parameter=numbered>\nTrue\n</parameter>\n<parameter=ranges>\n[1, 2]\n</parameter>\n<parameter=note>\n  two\n  lines\n</parameter>\n<parameter=extra>\n007\n</parameter>\n</function>\n</tool_call>";
        let pieces = chars(input);
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        let out = run(&refs, schemas);
        assert_eq!(
            out,
            vec![call(
                "view_file",
                json!({"path": "src/main.rs", "start_line": 10, "ratio": 2, "numbered": true,
                       "ranges": [1, 2], "note": "  two\n  lines", "extra": "007"})
            )]
        );
    }

    #[test]
    fn parallel_calls_and_text_between_them() {
        let input = "<tool_call>{\"name\":\"a\",\"arguments\":{}}</tool_call>\n<tool_call>{\"name\":\"b\",\"arguments\":\"{\\\"x\\\":1}\"}</tool_call>done";
        assert_eq!(
            run(&[input], HashMap::new()),
            vec![
                call("a", json!({})),
                Filtered::Text("\n".into()),
                call("b", json!({"x": 1})),
                Filtered::Text("done".into()),
            ]
        );
    }

    #[test]
    fn near_misses_stay_text_and_nothing_is_lost() {
        assert_eq!(
            run(&["a <tool", "_cal", "l x"], HashMap::new()),
            vec![Filtered::Text("a <tool_call x".into())]
        );
        assert_eq!(
            run(&["x <", "b>"], HashMap::new()),
            vec![Filtered::Text("x <b>".into())]
        );
        // A block that is not a call is shown as it was.
        assert_eq!(
            run(&["<tool_call>not json</tool_call>"], HashMap::new()),
            vec![Filtered::Text("<tool_call>not json</tool_call>".into())]
        );
    }

    #[test]
    fn an_unclosed_call_at_the_end_is_parsed_leniently() {
        assert_eq!(
            run(
                &["<tool_call>\n<function=grep>\n<parameter=pattern>\nx\n"],
                HashMap::new()
            ),
            vec![call("grep", json!({"pattern": "x"}))]
        );
        assert_eq!(
            run(&["<tool_call>{\"name\": \"grep\", \"argu"], HashMap::new()),
            vec![Filtered::Text(
                "<tool_call>{\"name\": \"grep\", \"argu".into()
            )]
        );
    }

    #[test]
    fn a_leading_think_block_becomes_reasoning() {
        let input = "<think>\nplan it\n</think>\n\nAnswer <think>not reasoning</think>";
        let pieces = chars(input);
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        assert_eq!(
            run(&refs, HashMap::new()),
            vec![
                Filtered::Reasoning("\nplan it\n".into()),
                Filtered::Text("Answer <think>not reasoning</think>".into()),
            ]
        );
        assert_eq!(
            run(&["<thi"], HashMap::new()),
            vec![Filtered::Text("<thi".into())]
        );
    }
}
