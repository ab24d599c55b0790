//! A real headless Chromium (Debian's `chromium` and `chromedriver`, see
//! `infrastructure/scripts/e2e-deps.sh`) driven over WebDriver with
//! fantoccini, plus what the browser tests need around it: screenshots
//! kept under `target/e2e-screenshots/<product>/` and an axe-core audit of
//! each page. Only built with the `e2e` feature (`make e2e`).

use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace's `target/` (or `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn axe_source() -> String {
    let path = std::env::var_os("AXE_CORE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("e2e-node/node_modules/axe-core/axe.min.js"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `bash infrastructure/scripts/e2e-deps.sh` (or `make e2e`)",
            path.display()
        )
    })
}

/// One axe-core violation, as kept in the report.
#[derive(Debug, Clone)]
pub struct Violation {
    pub page: String,
    pub id: String,
    pub impact: String,
    pub help: String,
    pub targets: Vec<String>,
}

/// The element that has the keyboard focus, and whether its focus shows.
#[derive(Debug, Clone)]
pub struct Focus {
    /// Lower-case tag name: `a`, `input`, `button`, `body`…
    pub tag: String,
    pub id: String,
    pub class: String,
    /// The `type` attribute (`submit`, `email`…), empty when absent.
    pub kind: String,
    /// The computed `outline` and `box-shadow`, for failure messages.
    pub style: String,
    /// A focus indicator is drawn: an outline or a box shadow.
    pub visible: bool,
}

/// A chromedriver process and one Chromium session on `base`.
pub struct Chrome {
    pub client: Client,
    pub base: String,
    shots: PathBuf,
    shot_count: u32,
    axe: String,
    pub violations: Vec<Violation>,
    driver: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Chrome {
    /// Starts chromedriver and a headless Chromium whose screenshots go to
    /// `target/e2e-screenshots/<artifacts>/` (emptied first).
    pub async fn start(base: &str, artifacts: &str) -> Self {
        let axe = axe_source();
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, which the Chromium it starts joins:
            // a panicking test ends both (see `Drop`).
            .process_group(0)
            .spawn()
            .expect("chromedriver (run infrastructure/scripts/e2e-deps.sh)");
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while reqwest::get(format!("{url}/status")).await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not answer on {url}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let caps = json!({
            "browserName": "chrome",
            "timeouts": { "script": 30_000, "pageLoad": 30_000 },
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    "--window-size=1280,1000",
                    "--no-first-run",
                    "--disable-extensions",
                    // Nothing leaves the machine: every other host (the
                    // Stripe Checkout page included) fails at once.
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
                ]
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("a Chromium session");
        let shots = target_dir().join("e2e-screenshots").join(artifacts);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).expect("screenshot directory");
        Self {
            client,
            base: base.to_owned(),
            shots,
            shot_count: 0,
            axe,
            violations: Vec::new(),
            driver,
        }
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    /// The path (and query) the browser is on.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current url")
            .to_string()
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("a body")
            .text()
            .await
            .expect("body text")
    }

    /// Waits (up to `secs`) until the page's visible text satisfies `ok`.
    pub async fn wait_text(&self, secs: u64, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            // The page may be in the middle of reloading itself.
            let text = match self.client.find(Locator::Css("body")).await {
                Ok(body) => body.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if ok(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{what} within {secs} s on {}; the page says:\n{text}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_for(&self, secs: u64, needle: &str) -> String {
        self.wait_text(secs, &format!("{needle:?}"), |t| t.contains(needle))
            .await
    }

    /// Types into the labelled field `f-<name>` (what a person does).
    pub async fn fill(&self, fields: &[(&str, &str)]) {
        for (name, value) in fields {
            let input = self
                .client
                .find(Locator::Id(&format!("f-{name}")))
                .await
                .unwrap_or_else(|e| panic!("field {name}: {e}"));
            input.clear().await.unwrap();
            if !value.is_empty() {
                input.send_keys(value).await.unwrap();
            }
        }
    }

    /// Clicks the submit button of the form posting to `action`.
    pub async fn submit(&self, action: &str) {
        self.client
            .find(Locator::Css(&format!(
                r#"form[action="{action}"] button[type="submit"]"#
            )))
            .await
            .unwrap_or_else(|e| panic!("a form posting to {action}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("submitting {action}: {e}"));
    }

    /// Resizes the window (WebDriver Set Window Rect), e.g. to 375×812
    /// for a phone; returns the page's `window.innerWidth`.
    pub async fn set_window(&self, width: u32, height: u32) -> u64 {
        self.client
            .set_window_rect(0, 0, width, height)
            .await
            .unwrap_or_else(|e| panic!("window {width}×{height}: {e}"));
        self.client
            .execute("return window.innerWidth;", vec![])
            .await
            .expect("innerWidth")
            .as_u64()
            .expect("innerWidth is a number")
    }

    /// Fails if the page is wider than the window, i.e. the person would
    /// have to scroll sideways (`scrollWidth > innerWidth`); the message
    /// names the elements sticking out on the right.
    pub async fn assert_no_horizontal_overflow(&self, page: &str) {
        let v = self
            .client
            .execute(
                r#"const w = window.innerWidth;
                const wide = [...document.querySelectorAll("body *")]
                  .filter(e => e.getBoundingClientRect().right > w + 0.5)
                  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : "")
                    + (e.className ? "." + String(e.className).split(" ").join(".") : "")
                    + " right=" + Math.round(e.getBoundingClientRect().right))
                  .slice(0, 10);
                return [document.documentElement.scrollWidth, w, wide];"#,
                vec![],
            )
            .await
            .expect("page widths");
        let (scroll, inner) = (v[0].as_u64().unwrap(), v[1].as_u64().unwrap());
        assert!(
            scroll <= inner,
            "{page}: horizontal overflow at {inner} px: scrollWidth {scroll}; sticking out: {}",
            v[2]
        );
    }

    /// Presses each key of `keys` on the keyboard (WebDriver key actions):
    /// the focused element receives them, as it would a person's typing.
    pub async fn keys(&self, keys: &str) {
        let mut seq = KeyActions::new("keyboard".to_owned());
        for value in keys.chars() {
            seq = seq
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.client
            .perform_actions(seq)
            .await
            .unwrap_or_else(|e| panic!("typing {keys:?}: {e}"));
    }

    pub async fn tab(&self) {
        self.keys(&Key::Tab.to_string()).await;
    }

    pub async fn enter(&self) {
        self.keys(&Key::Enter.to_string()).await;
    }

    /// The focused element (`document.activeElement`) and its focus style.
    pub async fn focused(&self) -> Focus {
        let v = self
            .client
            .execute(
                r#"const e = document.activeElement || document.body;
                const s = getComputedStyle(e);
                return { tag: e.tagName.toLowerCase(), id: e.id || "",
                  cls: typeof e.className === "string" ? e.className : "",
                  kind: e.getAttribute("type") || "",
                  outline: s.outlineStyle, outlineWidth: s.outlineWidth,
                  shadow: s.boxShadow };"#,
                vec![],
            )
            .await
            .expect("the focused element");
        let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
        let outline = s("outline") != "none" && s("outlineWidth") != "0px";
        let shadow = s("shadow") != "none" && !s("shadow").is_empty();
        Focus {
            tag: s("tag"),
            id: s("id"),
            class: s("cls"),
            kind: s("kind"),
            style: format!(
                "outline {} {}, box-shadow {}",
                s("outline"),
                s("outlineWidth"),
                s("shadow")
            ),
            visible: outline || shadow,
        }
    }

    /// Presses Tab (at most `max` times) until the element `#id` has the
    /// focus; returns how many presses it took.
    pub async fn tab_to(&self, id: &str, max: u32) -> u32 {
        for n in 1..=max {
            self.tab().await;
            if self.focused().await.id == id {
                return n;
            }
        }
        panic!(
            "#{id} not reached with {max} Tabs on {}; focus is on {:?}",
            self.url().await,
            self.focused().await
        );
    }

    /// Keeps a screenshot of the window as `NN-<name>.png`.
    pub async fn screenshot(&mut self, name: &str) {
        self.shot_count += 1;
        let png = self.client.screenshot().await.expect("screenshot");
        let file = self
            .shots
            .join(format!("{:02}-{name}.png", self.shot_count));
        std::fs::write(&file, png).expect("write screenshot");
    }

    /// Runs axe-core on the current page and records its violations.
    pub async fn audit(&mut self, page: &str) {
        let loaded = self
            .client
            .execute(&format!("{}\n;return typeof axe;", self.axe), vec![])
            .await
            .expect("inject axe-core");
        assert_eq!(loaded, json!("object"), "axe-core loaded on {page}");
        let result = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ["violations"] })
                  .then(r => done(r.violations.map(v => ({
                      id: v.id, impact: v.impact, help: v.help,
                      targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5)
                  }))))
                  .catch(e => done({ error: String(e) }));"#,
                vec![],
            )
            .await
            .expect("axe.run");
        let list = result
            .as_array()
            .unwrap_or_else(|| panic!("axe.run on {page}: {result}"));
        for v in list {
            self.violations.push(Violation {
                page: page.to_owned(),
                id: v["id"].as_str().unwrap_or("").to_owned(),
                impact: v["impact"].as_str().unwrap_or("unknown").to_owned(),
                help: v["help"].as_str().unwrap_or("").to_owned(),
                targets: v["targets"]
                    .as_array()
                    .map(|t| {
                        t.iter()
                            .filter_map(|s| s.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
    }

    /// Screenshot and accessibility audit of the current page.
    pub async fn check(&mut self, name: &str) {
        self.screenshot(name).await;
        self.audit(name).await;
    }

    /// Writes every violation to `axe.txt` beside the screenshots and
    /// fails on any `serious` or `critical` one.
    pub fn assert_accessible(&self) {
        let report: String = self
            .violations
            .iter()
            .map(|v| {
                format!(
                    "{}\t{}\t{}\t{}\t{}\n",
                    v.page,
                    v.impact,
                    v.id,
                    v.help,
                    v.targets.join(" | ")
                )
            })
            .collect();
        std::fs::write(self.shots.join("axe.txt"), &report).expect("write axe report");
        eprintln!(
            "axe-core: {} violation(s) on {}\n{report}",
            self.violations.len(),
            self.shots.display()
        );
        let bad: Vec<&Violation> = self
            .violations
            .iter()
            .filter(|v| matches!(v.impact.as_str(), "serious" | "critical"))
            .collect();
        assert!(bad.is_empty(), "serious or critical violations: {bad:#?}");
    }

    /// Ends the browser session and chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        // A failed test still ends its chromedriver and its Chromium, which
        // would otherwise outlive the test: the whole process group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
