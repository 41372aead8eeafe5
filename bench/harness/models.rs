//! The scripted model servers every peer is driven by, one of each API the peers speak.

use crate::ANSWER;
use anyhow::Result;
use boocode_testkit::{
    AnthropicReply, ApiReply, Reply, ScriptedAnthropic, ScriptedApi, ScriptedOpenAi,
};
use serde_json::Value;
use std::time::Instant;

/// The scripted model servers: OpenAI chat completions, Anthropic Messages, OpenAI Responses
/// (codex) and Gemini (gemini-cli).
pub(crate) struct Models {
    pub(crate) openai: ScriptedOpenAi,
    pub(crate) anthropic: ScriptedAnthropic,
    pub(crate) responses: ScriptedApi,
    pub(crate) gemini: ScriptedApi,
}

impl Models {
    pub(crate) async fn start() -> Result<Self> {
        let models = Self {
            openai: ScriptedOpenAi::start().await?,
            anthropic: ScriptedAnthropic::start().await?,
            responses: ScriptedApi::responses().await?,
            gemini: ScriptedApi::gemini().await?,
        };
        // Side requests a peer makes on its own (opencode's title) are answered outside the
        // script.
        models
            .openai
            .answer_matching("You are a title generator", Reply::text("Scripted title"));
        Ok(models)
    }

    /// Scripts a tool call in the API `peer` speaks.
    pub(crate) fn push_call(&self, peer: &str, id: &str, name: &str, arguments: Value) {
        match peer {
            "claude" => {
                self.anthropic.push(AnthropicReply::new().tool_use(
                    id,
                    name,
                    &["", &arguments.to_string()],
                ));
            }
            "codex" => {
                self.responses
                    .push(ApiReply::tool_call(id, name, arguments));
            }
            "gemini" => {
                self.gemini.push(ApiReply::tool_call(id, name, arguments));
            }
            _ => {
                self.openai.push(
                    Reply::stream()
                        .whole_tool_call(id, name, &arguments.to_string())
                        .finish("tool_calls"),
                );
            }
        }
    }

    /// Scripts the final answer in the API `peer` speaks.
    pub(crate) fn push_answer(&self, peer: &str) {
        match peer {
            "claude" => {
                self.anthropic
                    .push(AnthropicReply::new().text(&[ANSWER]).usage(100, 10));
            }
            "codex" => {
                self.responses.push(ApiReply::text(ANSWER));
            }
            "gemini" => {
                self.gemini.push(ApiReply::text(ANSWER));
            }
            _ => {
                self.openai.push(Reply::text(ANSWER));
            }
        }
    }

    /// The bodies of every model request so far, server by server (a peer talks to one).
    pub(crate) fn requests(&self) -> Vec<Value> {
        let openai = self.openai.completion_requests();
        let anthropic = self.anthropic.message_requests();
        let responses = self.responses.model_requests();
        let gemini = self.gemini.model_requests();
        openai
            .into_iter()
            .chain(anthropic)
            .chain(responses)
            .chain(gemini)
            .map(|r| r.body)
            .collect()
    }

    /// The end of the last response any server finished before `shown`: the model's last
    /// byte of the answer. A response that ended after the answer was shown cannot have
    /// carried it; a side request (opencode's title) that ended between the two would shorten
    /// the figure, but those run at the start of a turn.
    pub(crate) fn last_byte_before(&self, shown: Instant) -> Option<Instant> {
        [
            self.openai.response_ends(),
            self.anthropic.response_ends(),
            self.responses.response_ends(),
            self.gemini.response_ends(),
        ]
        .into_iter()
        .flatten()
        .filter(|end| *end <= shown)
        .max()
    }

    /// Scripted replies no request has taken yet.
    pub(crate) fn remaining(&self) -> usize {
        self.openai.remaining()
            + self.anthropic.remaining()
            + self.responses.remaining()
            + self.gemini.remaining()
    }
}
