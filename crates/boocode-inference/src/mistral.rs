//! Mistral's tool-call markup, left in content by servers that did not parse it:
//! `[TOOL_CALLS] [{"name": …, "arguments": {…}}, …]` (Mistral 7B v0.3, Small 3.1) and
//! `[TOOL_CALLS]NAME[ARGS]{…}` repeated per call (Mistral Small 3.2, Devstral; some versions
//! put `[CALL_ID]ID` before `[ARGS]`). There is no closing tag: the calls run to the end of the
//! content.

use serde_json::Value;

/// The marker that opens Mistral tool calls.
pub(crate) const MARKER: &str = "[TOOL_CALLS]";

/// The calls in the content after the first [`MARKER`] as `(name, arguments JSON text)`, or
/// `None` when it is not wholly calls (the caller then shows it as text).
pub(crate) fn parse_calls(rest: &str) -> Option<Vec<(String, String)>> {
    let mut calls = Vec::new();
    for piece in rest.split(MARKER) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        match piece.as_bytes()[0] {
            b'[' | b'{' => calls.extend(json_calls(piece)?),
            _ => calls.push(args_call(piece)?),
        }
    }
    (!calls.is_empty()).then_some(calls)
}

/// `[{"name", "arguments"}, …]` or one such object.
fn json_calls(text: &str) -> Option<Vec<(String, String)>> {
    let items = match serde_json::from_str::<Value>(text).ok()? {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => return None,
    };
    items
        .into_iter()
        .map(|item| {
            let name = item.get("name")?.as_str()?.to_owned();
            let arguments = match item.get("arguments").cloned() {
                Some(Value::String(text)) => text,
                Some(value) => value.to_string(),
                None => "{}".to_owned(),
            };
            (!name.is_empty()).then_some((name, arguments))
        })
        .collect()
}

/// `NAME[ARGS]{…}` or `NAME[CALL_ID]ID[ARGS]{…}`.
fn args_call(text: &str) -> Option<(String, String)> {
    let (head, arguments) = text.split_once("[ARGS]")?;
    let name = head.split('[').next()?.trim();
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    let arguments = arguments.trim();
    // The arguments must be one JSON object: anything else is not a call.
    let parsed: Value = serde_json::from_str(arguments).ok()?;
    (valid && parsed.is_object()).then(|| (name.to_owned(), arguments.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::parse_calls;

    #[test]
    fn both_mistral_shapes_parse_and_anything_else_is_refused() {
        assert_eq!(
            parse_calls(
                r#" [{"name": "add", "arguments": {"x": 1}}, {"name": "neg", "arguments": "{\"x\": 2}"}]"#
            ),
            Some(vec![
                ("add".into(), r#"{"x":1}"#.into()),
                ("neg".into(), r#"{"x": 2}"#.into())
            ])
        );
        assert_eq!(
            parse_calls(
                r#"get_weather[ARGS]{"location": "Paris"}[TOOL_CALLS]read[CALL_ID]a1b2[ARGS]{}"#
            ),
            Some(vec![
                ("get_weather".into(), r#"{"location": "Paris"}"#.into()),
                ("read".into(), "{}".into())
            ])
        );
        // Prose after the marker, a call with no arguments object, broken JSON: not calls.
        assert_eq!(parse_calls(" I would call the weather tool here."), None);
        assert_eq!(parse_calls("get_weather[ARGS]Paris"), None);
        assert_eq!(
            parse_calls(r#"[{"name": "add", "arguments": {"x": 1}"#),
            None
        );
        assert_eq!(parse_calls(""), None);
    }
}
