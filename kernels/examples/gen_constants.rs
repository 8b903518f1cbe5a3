//! Prints `device/constants.h`: `cargo run -p mipstark-kernels --example gen_constants > kernels/device/constants.h`.
fn main() {
    print!("{}", mipstark_kernels::constants::generate_header());
}
