//! (being written: issue 3)
#![allow(dead_code)]
