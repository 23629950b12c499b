//! (being written: issue 2)
#![allow(dead_code)]
