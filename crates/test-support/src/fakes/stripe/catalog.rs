//! The catalogue side of the Stripe fake: products (client-chosen ids),
//! recurring prices (lookup keys, `active`), and webhook endpoints (the
//! signing secret shown only in the create answer), in Stripe's wire format.

use super::{FakeStripe, StripeRequest, short_id, unix_now};
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Clone, Copy)]
pub(super) enum CatalogRoute {
    GetProduct,
    CreateProduct,
    ListPrices,
    GetPrice,
    CreatePrice,
    UpdatePrice,
    ListWebhookEndpoints,
    CreateWebhookEndpoint,
    UpdateWebhookEndpoint,
}

/// (method, path regex, route), mounted by `FakeStripe::start_with_key`.
pub(super) const ROUTES: [(&str, &str, CatalogRoute); 9] = [
    (
        "GET",
        r"^/v1/products/[A-Za-z0-9_-]+$",
        CatalogRoute::GetProduct,
    ),
    ("POST", r"^/v1/products$", CatalogRoute::CreateProduct),
    ("GET", r"^/v1/prices$", CatalogRoute::ListPrices),
    ("GET", r"^/v1/prices/[A-Za-z0-9_]+$", CatalogRoute::GetPrice),
    ("POST", r"^/v1/prices$", CatalogRoute::CreatePrice),
    (
        "POST",
        r"^/v1/prices/[A-Za-z0-9_]+$",
        CatalogRoute::UpdatePrice,
    ),
    (
        "GET",
        r"^/v1/webhook_endpoints$",
        CatalogRoute::ListWebhookEndpoints,
    ),
    (
        "POST",
        r"^/v1/webhook_endpoints$",
        CatalogRoute::CreateWebhookEndpoint,
    ),
    (
        "POST",
        r"^/v1/webhook_endpoints/[A-Za-z0-9_]+$",
        CatalogRoute::UpdateWebhookEndpoint,
    ),
];

#[derive(Default)]
pub(super) struct Catalog {
    products: BTreeMap<String, Value>,
    /// In creation order, as Stripe lists newest first.
    prices: Vec<Value>,
    webhook_endpoints: Vec<Value>,
}

fn missing(kind: &str, id: &str) -> (u16, Value) {
    (
        404,
        json!({"error": {
            "type": "invalid_request_error", "code": "resource_missing", "param": "id",
            "message": format!("No such {kind}: '{id}'"),
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        }}),
    )
}

fn invalid(param: &str, message: &str) -> (u16, Value) {
    (
        400,
        json!({"error": {"type": "invalid_request_error", "param": param, "message": message}}),
    )
}

fn list(url: &str, data: Vec<Value>) -> (u16, Value) {
    (
        200,
        json!({"object": "list", "url": url, "has_more": false, "data": data}),
    )
}

/// `prefix[]=a&prefix[]=b` or `prefix[0]=a&prefix[1]=b`, in order.
fn array(pairs: &[(String, String)], prefix: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| {
            k.strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('['))
                .and_then(|rest| rest.strip_suffix(']'))
                .is_some_and(|i| i.chars().all(|c| c.is_ascii_digit()))
        })
        .map(|(_, v)| v.clone())
        .collect()
}

fn form_pairs(form: &BTreeMap<String, String>) -> Vec<(String, String)> {
    // BTreeMap orders `x[10]` before `x[2]`: sort indices numerically.
    let mut pairs: Vec<(String, String)> =
        form.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    pairs.sort_by_key(|(k, _)| {
        let index = k
            .rsplit_once('[')
            .and_then(|(_, i)| i.trim_end_matches(']').parse::<u32>().ok());
        (k.split('[').next().unwrap_or_default().to_owned(), index)
    });
    pairs
}

fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or_default()
}

impl Catalog {
    pub(super) fn respond(
        &mut self,
        route: CatalogRoute,
        req: &StripeRequest,
        livemode: bool,
    ) -> (u16, Value) {
        let form = &req.form;
        let meta = super::metadata(form, "metadata");
        match route {
            CatalogRoute::GetProduct => {
                let id = last_segment(&req.path);
                match self.products.get(id) {
                    Some(p) => (200, p.clone()),
                    None => missing("product", id),
                }
            }
            CatalogRoute::CreateProduct => {
                let Some(name) = form.get("name") else {
                    return invalid("name", "Missing required param: name.");
                };
                let id = form
                    .get("id")
                    .cloned()
                    .unwrap_or_else(|| format!("prod_{}", short_id()));
                if self.products.contains_key(&id) {
                    return invalid("id", &format!("Product already exists: '{id}'"));
                }
                let product = json!({
                    "id": id, "object": "product", "active": true, "created": unix_now(),
                    "default_price": null, "description": form.get("description"),
                    "images": [], "livemode": livemode, "marketing_features": [],
                    "metadata": meta, "name": name, "package_dimensions": null,
                    "shippable": null, "statement_descriptor": null, "tax_code": null,
                    "type": "service", "unit_label": null, "updated": unix_now(), "url": null,
                });
                self.products.insert(id, product.clone());
                (200, product)
            }
            CatalogRoute::ListPrices => {
                let keys = array(&req.query, "lookup_keys");
                let active = req
                    .query
                    .iter()
                    .find(|(k, _)| k == "active")
                    .map(|(_, v)| v == "true");
                let data = self
                    .prices
                    .iter()
                    .rev()
                    .filter(|p| {
                        keys.is_empty()
                            || p["lookup_key"]
                                .as_str()
                                .is_some_and(|k| keys.iter().any(|w| w == k))
                    })
                    .filter(|p| active.is_none_or(|a| p["active"].as_bool() == Some(a)))
                    .cloned()
                    .collect();
                list("/v1/prices", data)
            }
            CatalogRoute::GetPrice => {
                let id = last_segment(&req.path);
                match self.prices.iter().find(|p| p["id"] == id) {
                    Some(p) => (200, p.clone()),
                    None => missing("price", id),
                }
            }
            CatalogRoute::CreatePrice => self.create_price(form, meta, livemode),
            CatalogRoute::UpdatePrice => {
                let id = last_segment(&req.path);
                let Some(price) = self.prices.iter_mut().find(|p| p["id"] == id) else {
                    return missing("price", id);
                };
                if let Some(active) = form.get("active") {
                    price["active"] = json!(active == "true");
                }
                (200, price.clone())
            }
            CatalogRoute::ListWebhookEndpoints => {
                let data = self
                    .webhook_endpoints
                    .iter()
                    .rev()
                    .map(|e| {
                        let mut e = e.clone();
                        e.as_object_mut().map(|o| o.remove("secret"));
                        e
                    })
                    .collect();
                list("/v1/webhook_endpoints", data)
            }
            CatalogRoute::CreateWebhookEndpoint => {
                let pairs = form_pairs(form);
                let events = array(&pairs, "enabled_events");
                let Some(url) = form.get("url") else {
                    return invalid("url", "Missing required param: url.");
                };
                if events.is_empty() {
                    return invalid("enabled_events", "Missing required param: enabled_events.");
                }
                let endpoint = json!({
                    "id": format!("we_{}", short_id()), "object": "webhook_endpoint",
                    "api_version": form.get("api_version"), "application": null,
                    "created": unix_now(), "description": form.get("description"),
                    "enabled_events": events, "livemode": livemode, "metadata": meta,
                    "secret": format!("whsec_{}", uuid::Uuid::new_v4().simple()),
                    "status": "enabled", "url": url,
                });
                self.webhook_endpoints.push(endpoint.clone());
                (200, endpoint)
            }
            CatalogRoute::UpdateWebhookEndpoint => {
                let id = last_segment(&req.path);
                let pairs = form_pairs(form);
                let events = array(&pairs, "enabled_events");
                let Some(endpoint) = self.webhook_endpoints.iter_mut().find(|e| e["id"] == id)
                else {
                    return missing("webhook endpoint", id);
                };
                if !events.is_empty() {
                    endpoint["enabled_events"] = json!(events);
                }
                if let Some(disabled) = form.get("disabled") {
                    endpoint["status"] = json!(if disabled == "true" {
                        "disabled"
                    } else {
                        "enabled"
                    });
                }
                let mut shown = endpoint.clone();
                shown.as_object_mut().map(|o| o.remove("secret"));
                (200, shown)
            }
        }
    }

    fn create_price(
        &mut self,
        form: &BTreeMap<String, String>,
        meta: Value,
        livemode: bool,
    ) -> (u16, Value) {
        let Some(product) = form.get("product") else {
            return invalid("product", "Missing required param: product.");
        };
        if !self.products.contains_key(product) {
            return invalid("product", &format!("No such product: '{product}'"));
        }
        let (Some(currency), Some(amount)) = (
            form.get("currency"),
            form.get("unit_amount").and_then(|a| a.parse::<i64>().ok()),
        ) else {
            return invalid("unit_amount", "Missing required param: unit_amount.");
        };
        let lookup_key = form.get("lookup_key");
        if let Some(key) = lookup_key
            && self.prices.iter().any(|p| p["lookup_key"] == key.as_str())
        {
            return invalid(
                "lookup_key",
                &format!("A price (`{key}`) already uses that lookup key."),
            );
        }
        let recurring = form.get("recurring[interval]").map(|interval| {
            json!({"interval": interval, "interval_count": 1, "meter": null,
                "trial_period_days": null, "usage_type": "licensed"})
        });
        let price = json!({
            "id": format!("price_{}", short_id()), "object": "price", "active": true,
            "billing_scheme": "per_unit", "created": unix_now(), "currency": currency,
            "custom_unit_amount": null, "livemode": livemode, "lookup_key": lookup_key,
            "metadata": meta, "nickname": form.get("nickname"), "product": product,
            "type": if recurring.is_some() { "recurring" } else { "one_time" },
            "recurring": recurring, "tax_behavior": "unspecified", "tiers_mode": null,
            "transform_quantity": null, "unit_amount": amount,
            "unit_amount_decimal": amount.to_string(),
        });
        self.prices.push(price.clone());
        (200, price)
    }
}

impl FakeStripe {
    /// Products actually created (idempotent replays excluded).
    pub fn products_created(&self) -> usize {
        self.state.lock().unwrap().catalog.products.len()
    }

    /// Prices actually created (idempotent replays excluded).
    pub fn prices_created(&self) -> usize {
        self.state.lock().unwrap().catalog.prices.len()
    }

    /// Every webhook endpoint, as `GET /v1/webhook_endpoints` lists it.
    pub fn webhook_endpoints(&self) -> Vec<Value> {
        self.state.lock().unwrap().catalog.webhook_endpoints.clone()
    }
}
