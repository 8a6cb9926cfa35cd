//! `cargo-ratecheck`: parse arguments, run the command, exit with its code
//! (0 pass, 1 gate failed, 2 not judged, 130 interrupted).

/// Counts allocations so the memory bench can report allocations per request.
#[global_allocator]
static ALLOC: ratecheck_engine::usage::CountingAlloc = ratecheck_engine::usage::CountingAlloc;

fn main() {
    std::process::exit(cargo_ratecheck::commands::main());
}
