//! Live tests against a real ContextForge gateway.
