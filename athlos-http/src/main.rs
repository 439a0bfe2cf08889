//! The `athlos` command.

fn main() {
    println!("athlos {}", env!("CARGO_PKG_VERSION"));
}
