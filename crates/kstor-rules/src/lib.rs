//! kstor-rules
