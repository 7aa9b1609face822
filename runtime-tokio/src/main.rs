//! The `gatehouse` binary on the tokio runtime.

fn main() {
    if let Err(e) = gatehouse_tokio::main_with_args(std::env::args()) {
        eprintln!("gatehouse: {e}");
        std::process::exit(1);
    }
}
