//! A bare Tauri window with one static page: what the console's first paint and memory are
//! measured against (`cargo xtask bench`).
fn main() {
    tauri::Builder::default().run(tauri::generate_context!()).expect("the bare window runs");
}
