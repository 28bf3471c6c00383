// SPDX-License-Identifier: GPL-2.0

//! The `setkey` command line.

fn main() {
    std::process::exit(1);
}
