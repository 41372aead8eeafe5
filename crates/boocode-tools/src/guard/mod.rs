//! The guards every tool goes through.

pub(crate) mod path;
pub(crate) mod secret;
pub(crate) mod url;
