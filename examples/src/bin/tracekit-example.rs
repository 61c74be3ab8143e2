//! Prints the path of a compiled example program, for scripts and the README:
//! `tracekit heap -- $(target/release/tracekit-example heap_known)`.

fn main() {
    let Some(name) = std::env::args().nth(1) else {
        eprintln!(
            "usage: tracekit-example NAME\nexamples: {}",
            tracekit_examples::NAMES.join(", ")
        );
        std::process::exit(2);
    };
    if !tracekit_examples::NAMES.contains(&name.as_str()) {
        eprintln!(
            "tracekit-example: no example named {name:?}; there are: {}",
            tracekit_examples::NAMES.join(", ")
        );
        std::process::exit(2);
    }
    println!("{}", tracekit_examples::path(&name).display());
}
