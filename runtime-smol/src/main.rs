//! The `gatehouse-smol` binary: the `gatehouse` interface on the smol runtime.

fn main() {
    if let Err(e) = gatehouse_smol::main_with_args(std::env::args()) {
        eprintln!("gatehouse: {e}");
        std::process::exit(1);
    }
}
