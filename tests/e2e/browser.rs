//! A real browser for the portal's tests: Debian's chromium, headless, driven through
//! chromedriver (WebDriver) by fantoccini. Screenshots go to `target/portal-screenshots/`.
//!
//! Without chromium and chromedriver on the machine the browser tests say so and stop, unless
//! `FIDELIS_TEST_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs both), where a missing
//! browser fails the test.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};

pub struct Browser {
    pub client: Client,
    driver: Child,
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

/// Where screenshots are written (created on first use).
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("portal-screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

impl Browser {
    /// A fresh headless browser (its own profile: no cookies shared between tests), or `None`
    /// when the machine has no chromium and the browser is not required.
    pub async fn start() -> Option<Self> {
        let (Some(chromium), Some(chromedriver)) = (
            which("chromium").or_else(|| which("chromium-browser")),
            which("chromedriver"),
        ) else {
            assert!(
                std::env::var("FIDELIS_TEST_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "FIDELIS_TEST_REQUIRE_BROWSER=1 but chromium or chromedriver is missing \
                 (apt-get install chromium chromium-driver)"
            );
            eprintln!("browser test skipped: install chromium and chromium-driver to run it");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("chromedriver did not start: {e}"));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--window-size=1280,900", "--lang=fr-FR"],
                // What the browser sends as Accept-Language: a French visitor.
                "prefs": { "intl.accept_languages": "fr-FR,fr" },
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return Some(Self { client, driver }),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("could not open a browser session: {last:?}");
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    pub async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!("no element {css}: {e}\n{}", self.text().await),
        }
    }

    /// Types into the field labelled by `id` (forms are reached as a person would: by label).
    pub async fn fill(&self, id: &str, value: &str) {
        let label = self.find(&format!("label[for='{id}']")).await;
        assert!(
            !label.text().await.unwrap_or_default().trim().is_empty(),
            "field {id} has an empty label"
        );
        let field = self.find(&format!("#{id}")).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {id}: {e}"));
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("type into {id}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the text of the page's first frame contains `needle`; answers that text.
    pub async fn wait_for_frame_text(&self, needle: &str) -> String {
        let mut last = String::new();
        for _ in 0..100 {
            if self.client.enter_frame(0).await.is_ok() {
                last = self.text().await;
                let _ = self.client.enter_parent_frame().await;
                if last.contains(needle) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the frame never showed {needle:?}:\n{last}");
    }

    /// Sets a date or time field labelled by `id` (typing into those depends on the browser's
    /// locale; a person picks the date in the control).
    pub async fn set_value(&self, id: &str, value: &str) {
        self.find(&format!("label[for='{id}']")).await;
        self.client
            .execute(
                "document.getElementById(arguments[0]).value = arguments[1];",
                vec![serde_json::json!(id), serde_json::json!(value)],
            )
            .await
            .unwrap_or_else(|e| panic!("set {id}: {e}"));
    }

    /// Scrolls the element matching `css` into view (for a screenshot of what is below).
    pub async fn scroll_to(&self, css: &str) {
        self.find(css).await;
        self.client
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView();",
                vec![serde_json::json!(css)],
            )
            .await
            .unwrap_or_else(|e| panic!("scroll to {css}: {e}"));
    }

    /// Types into the field labelled by `id`, keeping what is there (the `input` events a
    /// person's typing fires).
    pub async fn type_more(&self, id: &str, value: &str) {
        self.find(&format!("#{id}"))
            .await
            .send_keys(value)
            .await
            .unwrap_or_else(|e| panic!("type into {id}: {e}"));
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.path().to_owned())
            .unwrap_or_default()
    }

    /// Waits until the page's text contains `needle`.
    pub async fn wait_for_text(&self, needle: &str) -> String {
        for _ in 0..100 {
            let text = self.text().await;
            if text.contains(needle) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the page at {} never showed {needle:?}:\n{}",
            self.path().await,
            self.text().await
        );
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
