//! kstor-render
