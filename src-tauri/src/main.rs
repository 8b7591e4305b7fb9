//! The console's executable: everything is in the library (see lib.rs).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    zeroclient_desktop::run();
}
