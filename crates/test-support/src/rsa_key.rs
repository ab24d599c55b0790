//! A throwaway RSA key pair for service-account tests, made at run time
//! with the openssl CLI so no private key is ever committed.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// (PKCS#8 private PEM, public PEM), made once per test process.
pub fn rsa_key_pair() -> &'static (String, String) {
    static KEYS: OnceLock<(String, String)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let private = Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ])
            .output()
            .expect("these tests need the openssl CLI to make a throwaway RSA key");
        assert!(private.status.success(), "openssl genpkey failed");
        let mut child = Command::new("openssl")
            .args(["pkey", "-pubout"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("openssl pkey");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(&private.stdout)
            .expect("write private key");
        let public = child.wait_with_output().expect("openssl pkey -pubout");
        assert!(public.status.success(), "openssl pkey failed");
        (
            String::from_utf8(private.stdout).expect("PEM is ASCII"),
            String::from_utf8(public.stdout).expect("PEM is ASCII"),
        )
    })
}
