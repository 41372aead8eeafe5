//! The guards every tool goes through.

mod atomic;
pub(crate) mod path;
pub(crate) mod protected;
pub(crate) mod secret;
pub(crate) mod url;
