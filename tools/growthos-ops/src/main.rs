//! Thin entry point: arguments and environment in, exit status out.

use std::collections::HashMap;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let vars: HashMap<String, String> = std::env::vars().collect();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("growthos-ops: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let mut out = std::io::stdout();
    ExitCode::from(runtime.block_on(growthos_ops::run(&args, &vars, &mut out)))
}
