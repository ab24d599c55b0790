//! The saas-booker web app: everything lives in `web-ui`; this binary only
//! names its product.

fn main() -> anyhow::Result<()> {
    web_ui::run_main(shared_types::ProductSlug::Booker)
}
