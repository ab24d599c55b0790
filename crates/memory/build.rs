// `embed_migrations!` reads the migrations folder at compile time, but cargo
// does not know that: without this, a new migration is left out of the
// binaries until something else in the crate changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
