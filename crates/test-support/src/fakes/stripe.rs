//! Stripe: customers, subscription Checkout Sessions and subscriptions in
//! Stripe's wire format (Bearer secret key, form-encoded bodies, JSON
//! objects, Idempotency-Key replays), plus signed webhook events. The
//! catalogue (products, prices, webhook endpoints) lives in `catalog`.

mod catalog;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The API version async-stripe 1.0.0-rc.10 pins (`stripe_shared::version`);
/// objects and events below have that version's shape.
pub const STRIPE_API_VERSION: &str = "2026-09-30.endive";

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct StripeRequest {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    pub stripe_version: Option<String>,
    /// The query string's pairs, in order (`lookup_keys[]` may repeat).
    pub query: Vec<(String, String)>,
    /// The form body, keys as sent (`line_items[0][price]`, `metadata[tenant_id]`).
    pub form: BTreeMap<String, String>,
}

/// The state a test gives a subscription. Retrieving it answers a full
/// Subscription object built from these fields.
#[derive(Debug, Clone)]
pub struct FakeSubscription {
    pub id: String,
    pub customer: String,
    pub status: String,
    pub price_id: String,
    pub unit_amount: i64,
    pub metadata: BTreeMap<String, String>,
    pub created: i64,
}

impl FakeSubscription {
    /// An active monthly subscription at $49.
    pub fn new(id: &str, customer: &str) -> Self {
        Self {
            id: id.into(),
            customer: customer.into(),
            status: "active".into(),
            price_id: "price_fake_standard".into(),
            unit_amount: 4900,
            metadata: BTreeMap::new(),
            created: unix_now(),
        }
    }

    pub fn status(mut self, status: &str) -> Self {
        self.status = status.into();
        self
    }

    pub fn price(mut self, price_id: &str, unit_amount: i64) -> Self {
        self.price_id = price_id.into();
        self.unit_amount = unit_amount;
        self
    }

    pub fn tenant(mut self, tenant_id: &str) -> Self {
        self.metadata.insert("tenant_id".into(), tenant_id.into());
        self
    }
}

pub struct FakeStripe {
    pub server: MockServer,
    secret_key: String,
    state: Arc<Mutex<StripeState>>,
}

#[derive(Default)]
struct StripeState {
    customers: HashMap<String, Value>,
    sessions: HashMap<String, Value>,
    subscriptions: HashMap<String, FakeSubscription>,
    /// Idempotency key -> (method + path + form, status, body).
    by_key: HashMap<String, (String, u16, Value)>,
    requests: Vec<StripeRequest>,
    fail_next: u32,
    catalog: catalog::Catalog,
}

#[derive(Clone, Copy)]
enum Route {
    CreateCustomer,
    CreateSession,
    GetSubscription,
    Catalog(catalog::CatalogRoute),
}

struct StripeResponder {
    route: Route,
    secret_key: String,
    state: Arc<Mutex<StripeState>>,
}

impl Respond for StripeResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let header = |name: &str| {
            req.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let form: BTreeMap<String, String> = url::form_urlencoded::parse(&req.body)
            .into_owned()
            .collect();
        let recorded = StripeRequest {
            method: req.method.to_string(),
            path: req.url.path().to_owned(),
            idempotency_key: header("idempotency-key"),
            stripe_version: header("stripe-version"),
            query: req.url.query_pairs().into_owned().collect(),
            form,
        };
        let mut s = self.state.lock().unwrap();
        s.requests.push(recorded.clone());
        if header("authorization").as_deref() != Some(&format!("Bearer {}", self.secret_key)) {
            return error(
                401,
                "invalid_request_error",
                None,
                "Invalid API Key provided: sk_test_****",
            );
        }
        if s.fail_next > 0 {
            s.fail_next -= 1;
            return error(
                500,
                "api_error",
                None,
                "Something went wrong on Stripe's end.",
            );
        }
        let fingerprint = format!("{} {} {:?}", recorded.method, recorded.path, recorded.form);
        if recorded.method == "POST"
            && let Some(key) = &recorded.idempotency_key
            && let Some((first, status, body)) = s.by_key.get(key)
        {
            return if *first == fingerprint {
                ResponseTemplate::new(*status)
                    .insert_header("idempotent-replayed", "true")
                    .set_body_json(body.clone())
            } else {
                error(
                    400,
                    "idempotency_error",
                    None,
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                )
            };
        }
        let (status, body) = match self.route {
            Route::CreateCustomer => (200, s.create_customer(&recorded.form)),
            Route::CreateSession => match s.create_session(&recorded.form) {
                Ok(session) => (200, session),
                Err((param, message)) => {
                    return error(400, "invalid_request_error", Some(param), &message);
                }
            },
            Route::GetSubscription => {
                let id = recorded.path.trim_start_matches("/v1/subscriptions/");
                match s.subscriptions.get(id) {
                    Some(sub) => (200, subscription_json(sub)),
                    None => {
                        return error_with_code(
                            404,
                            "invalid_request_error",
                            Some("resource_missing"),
                            Some("id"),
                            &format!("No such subscription: '{id}'"),
                        );
                    }
                }
            }
            Route::Catalog(route) => {
                let livemode = self.secret_key.starts_with("sk_live_");
                s.catalog.respond(route, &recorded, livemode)
            }
        };
        if recorded.method == "POST"
            && let Some(key) = recorded.idempotency_key
        {
            s.by_key.insert(key, (fingerprint, status, body.clone()));
        }
        ResponseTemplate::new(status)
            .insert_header("request-id", format!("req_{}", short_id()))
            .set_body_json(body)
    }
}

fn error(status: u16, kind: &str, param: Option<&str>, message: &str) -> ResponseTemplate {
    error_with_code(status, kind, None, param, message)
}

fn error_with_code(
    status: u16,
    kind: &str,
    code: Option<&str>,
    param: Option<&str>,
    message: &str,
) -> ResponseTemplate {
    let doc_url = code.map(|c| {
        format!(
            "https://stripe.com/docs/error-codes/{}",
            c.replace('_', "-")
        )
    });
    ResponseTemplate::new(status).set_body_json(json!({"error": {
        "type": kind, "code": code, "doc_url": doc_url, "param": param, "message": message,
        "request_log_url": format!("https://dashboard.stripe.com/test/logs/req_{}", short_id()),
    }}))
}

/// `metadata[k]=v` (or `subscription_data[metadata][k]=v` with that prefix) as a JSON map.
fn metadata(form: &BTreeMap<String, String>, prefix: &str) -> Value {
    let start = format!("{prefix}[");
    form.iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix(&start)?.strip_suffix(']')?;
            Some((key.to_owned(), Value::String(v.clone())))
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

impl StripeState {
    fn create_customer(&mut self, form: &BTreeMap<String, String>) -> Value {
        let id = format!("cus_{}", short_id());
        let customer = json!({
            "id": id, "object": "customer", "address": null, "balance": 0,
            "created": unix_now(), "currency": null, "default_source": null,
            "delinquent": false, "description": form.get("description"), "discount": null,
            "email": form.get("email"), "invoice_prefix": short_id()[..8].to_uppercase(),
            "invoice_settings": {"custom_fields": null, "default_payment_method": null, "footer": null, "rendering_options": null},
            "livemode": false, "metadata": metadata(form, "metadata"), "name": form.get("name"),
            "next_invoice_sequence": 1, "phone": form.get("phone"), "preferred_locales": [],
            "shipping": null, "tax_exempt": "none", "test_clock": null,
        });
        self.customers.insert(id, customer.clone());
        customer
    }

    fn create_session(
        &mut self,
        form: &BTreeMap<String, String>,
    ) -> Result<Value, (&'static str, String)> {
        let mode = form
            .get("mode")
            .ok_or(("mode", "Missing required param: mode.".to_owned()))?;
        if form.get("line_items[0][price]").is_none() {
            return Err((
                "line_items",
                "You must provide at least one line item.".into(),
            ));
        }
        if let Some(c) = form.get("customer")
            && !self.customers.contains_key(c)
        {
            return Err(("customer", format!("No such customer: '{c}'")));
        }
        let id = format!("cs_test_{}", short_id());
        let now = unix_now();
        let session = json!({
            "id": id, "object": "checkout.session", "mode": mode, "status": "open",
            "url": format!("https://checkout.stripe.com/c/pay/{id}"),
            "payment_status": "unpaid", "customer": form.get("customer"),
            "customer_email": form.get("customer_email"), "subscription": null, "invoice": null,
            "client_reference_id": form.get("client_reference_id"),
            "metadata": metadata(form, "metadata"),
            "success_url": form.get("success_url"), "cancel_url": form.get("cancel_url"),
            "created": now, "expires_at": now + 24 * 3600, "livemode": false,
            "amount_subtotal": null, "amount_total": null, "currency": null,
            "automatic_tax": {"enabled": false, "liability": null, "provider": null, "status": null},
            "custom_fields": [],
            "custom_text": {"after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null},
            "payment_method_types": ["card"], "shipping_options": [],
            "billing_address_collection": null, "locale": null, "payment_intent": null,
            "payment_method_collection": "always", "ui_mode": "hosted",
            // Not part of Stripe's object: kept so completion can build the subscription.
            "_line_item_price": form.get("line_items[0][price]"),
            "_subscription_metadata": metadata(form, "subscription_data[metadata]"),
        });
        self.sessions.insert(id, session.clone());
        let mut public = session;
        strip_private(&mut public);
        Ok(public)
    }
}

fn strip_private(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| !k.starts_with('_'));
    }
}

impl FakeStripe {
    pub async fn start() -> Self {
        Self::start_with_key(&format!("sk_test_{}", uuid::Uuid::new_v4().simple())).await
    }

    /// A fake that accepts only `secret_key` (e.g. an `sk_live_...` one:
    /// objects then carry `livemode: true`).
    pub async fn start_with_key(secret_key: &str) -> Self {
        let server = MockServer::start().await;
        let secret_key = secret_key.to_owned();
        let state = Arc::new(Mutex::new(StripeState::default()));
        let routes = [
            ("POST", "/v1/customers", Route::CreateCustomer),
            ("POST", "/v1/checkout/sessions", Route::CreateSession),
        ];
        for (m, p, route) in routes {
            Mock::given(method(m))
                .and(path(p))
                .respond_with(StripeResponder {
                    route,
                    secret_key: secret_key.clone(),
                    state: state.clone(),
                })
                .mount(&server)
                .await;
        }
        Mock::given(method("GET"))
            .and(path_regex(r"^/v1/subscriptions/[A-Za-z0-9_]+$"))
            .respond_with(StripeResponder {
                route: Route::GetSubscription,
                secret_key: secret_key.clone(),
                state: state.clone(),
            })
            .mount(&server)
            .await;
        for (m, p, route) in catalog::ROUTES {
            Mock::given(method(m))
                .and(path_regex(p))
                .respond_with(StripeResponder {
                    route: Route::Catalog(route),
                    secret_key: secret_key.clone(),
                    state: state.clone(),
                })
                .mount(&server)
                .await;
        }
        Self {
            server,
            secret_key,
            state,
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The only key the fake accepts (`sk_test_...`).
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// Creates or replaces a subscription.
    pub fn set_subscription(&self, sub: FakeSubscription) {
        self.state
            .lock()
            .unwrap()
            .subscriptions
            .insert(sub.id.clone(), sub);
    }

    /// Changes a stored subscription's status (e.g. `past_due`, `canceled`).
    pub fn set_subscription_status(&self, id: &str, status: &str) {
        let mut s = self.state.lock().unwrap();
        let sub = s
            .subscriptions
            .get_mut(id)
            .expect("no such fake subscription");
        sub.status = status.into();
    }

    /// The Subscription object as `GET /v1/subscriptions/{id}` answers it.
    pub fn subscription_object(&self, id: &str) -> Option<Value> {
        self.state
            .lock()
            .unwrap()
            .subscriptions
            .get(id)
            .map(subscription_json)
    }

    pub fn customer_object(&self, id: &str) -> Option<Value> {
        self.state.lock().unwrap().customers.get(id).cloned()
    }

    /// The buyer paid: the session becomes complete with a new active
    /// subscription (its price, its customer, the session's
    /// `subscription_data[metadata]`). Returns the completed Checkout
    /// Session object, as a `checkout.session.completed` event carries it.
    pub fn complete_checkout(&self, session_id: &str, unit_amount: i64) -> Value {
        let mut s = self.state.lock().unwrap();
        let session = s
            .sessions
            .get_mut(session_id)
            .expect("no such checkout session");
        let sub_id = format!("sub_{}", short_id());
        let customer = session["customer"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("cus_{}", short_id()));
        let price = session["_line_item_price"]
            .as_str()
            .unwrap_or("price_fake")
            .to_owned();
        let metadata: BTreeMap<String, String> = session["_subscription_metadata"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        session["status"] = json!("complete");
        session["payment_status"] = json!("paid");
        session["customer"] = json!(customer);
        session["subscription"] = json!(sub_id);
        session["url"] = Value::Null;
        session["amount_total"] = json!(unit_amount);
        session["amount_subtotal"] = json!(unit_amount);
        session["currency"] = json!("usd");
        let mut public = session.clone();
        strip_private(&mut public);
        let sub = FakeSubscription {
            metadata,
            ..FakeSubscription::new(&sub_id, &customer).price(&price, unit_amount)
        };
        s.subscriptions.insert(sub_id, sub);
        public
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<StripeRequest> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Requests to one method and path.
    pub fn requests_to(&self, method: &str, path: &str) -> Vec<StripeRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path == path)
            .collect()
    }

    /// Customers actually created (idempotent replays excluded).
    pub fn customers_created(&self) -> usize {
        self.state.lock().unwrap().customers.len()
    }

    /// Checkout Sessions actually created (idempotent replays excluded).
    pub fn sessions_created(&self) -> usize {
        self.state.lock().unwrap().sessions.len()
    }

    /// The next `n` requests answer 500 api_error.
    pub fn fail_next(&self, n: u32) {
        self.state.lock().unwrap().fail_next = n;
    }
}

/// A full Subscription object of [`STRIPE_API_VERSION`]: billing periods on
/// the items (basil and later), customer and latest invoice as ids.
fn subscription_json(s: &FakeSubscription) -> Value {
    let start = s.created;
    let end = start + 30 * 24 * 3600;
    let canceled = s.status == "canceled";
    let price = json!({
        "id": s.price_id, "object": "price", "active": true, "billing_scheme": "per_unit",
        "created": start - 86_400, "currency": "usd", "custom_unit_amount": null,
        "livemode": false, "lookup_key": null, "metadata": {}, "nickname": null,
        "product": "prod_FakeGrowthOS",
        "recurring": {"interval": "month", "interval_count": 1, "meter": null, "trial_period_days": null, "usage_type": "licensed"},
        "tax_behavior": "unspecified", "tiers_mode": null, "transform_quantity": null,
        "type": "recurring", "unit_amount": s.unit_amount,
        "unit_amount_decimal": s.unit_amount.to_string(),
    });
    let plan = json!({
        "id": s.price_id, "object": "plan", "active": true, "amount": s.unit_amount,
        "amount_decimal": s.unit_amount.to_string(), "billing_scheme": "per_unit",
        "created": start - 86_400, "currency": "usd", "interval": "month", "interval_count": 1,
        "livemode": false, "metadata": {}, "meter": null, "nickname": null,
        "product": "prod_FakeGrowthOS", "tiers_mode": null, "transform_usage": null,
        "trial_period_days": null, "usage_type": "licensed",
    });
    let items = json!({
        "object": "list", "has_more": false, "total_count": 1,
        "url": format!("/v1/subscription_items?subscription={}", s.id),
        "data": [{
            "id": format!("si_{}", s.id.trim_start_matches("sub_")),
            "object": "subscription_item", "billing_thresholds": null, "created": start,
            "current_period_end": end, "current_period_start": start, "discounts": [],
            "metadata": {}, "plan": plan, "price": price, "quantity": 1,
            "subscription": s.id, "tax_rates": [],
        }],
    });
    let ended_at = if canceled {
        json!(unix_now())
    } else {
        Value::Null
    };
    let mut sub = json!({
        "id": s.id, "object": "subscription", "application": null,
        "application_fee_percent": null,
        "automatic_tax": {"disabled_reason": null, "enabled": false, "liability": null},
        "billing_cycle_anchor": start, "billing_cycle_anchor_config": null,
        "billing_mode": {"type": "classic", "flexible": null, "updated_at": null},
        "billing_schedules": [], "billing_thresholds": null,
        "cancel_at": null, "cancel_at_period_end": false, "canceled_at": ended_at,
        "cancellation_details": {"comment": null, "feedback": null,
            "reason": if canceled { json!("cancellation_requested") } else { Value::Null }},
        "collection_method": "charge_automatically", "created": start, "currency": "usd",
        "customer": s.customer, "customer_account": null, "days_until_due": null,
    });
    let rest = json!({
        "default_payment_method": null, "default_source": null, "default_tax_rates": [],
        "description": null, "discounts": [], "ended_at": ended_at,
        "invoice_settings": {"account_tax_ids": null, "issuer": {"type": "self"}},
        "items": items,
        "latest_invoice": format!("in_{}", s.id.trim_start_matches("sub_")),
        "livemode": false, "metadata": s.metadata, "next_pending_invoice_item_invoice": null,
        "on_behalf_of": null, "pause_collection": null,
        "payment_settings": {"payment_method_options": null, "payment_method_types": null,
            "save_default_payment_method": "off"},
        "pending_invoice_item_interval": null, "pending_setup_intent": null,
        "pending_update": null, "schedule": null, "start_date": start, "status": s.status,
        "test_clock": null, "transfer_data": null, "trial_end": null,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": null,
    });
    if let (Some(o), Value::Object(r)) = (sub.as_object_mut(), rest) {
        o.extend(r);
    }
    sub
}

/// An Invoice of a subscription, as `invoice.paid` / `invoice.payment_failed`
/// carry it (basil and later: the subscription is under `parent`).
pub fn invoice_object(subscription_id: &str, customer: &str, paid: bool, amount: i64) -> Value {
    json!({
        "id": format!("in_{}", short_id()), "object": "invoice", "customer": customer,
        "status": if paid { "paid" } else { "open" }, "amount_due": amount,
        "amount_paid": if paid { amount } else { 0 },
        "amount_remaining": if paid { 0 } else { amount }, "currency": "usd",
        "billing_reason": "subscription_cycle", "attempt_count": 1,
        "next_payment_attempt": if paid { Value::Null } else { json!(unix_now() + 3 * 86_400) },
        "livemode": false, "created": unix_now(),
        "parent": {"type": "subscription_details", "quote_details": null,
            "subscription_details": {"metadata": {}, "subscription": subscription_id}},
    })
}

/// A Stripe Event envelope with a fresh `evt_` id, created now.
pub fn stripe_event(event_type: &str, object: Value) -> Value {
    stripe_event_with(
        &format!("evt_{}", short_id()),
        event_type,
        unix_now(),
        object,
    )
}

/// A Stripe Event envelope with a chosen id and creation time.
pub fn stripe_event_with(id: &str, event_type: &str, created: i64, object: Value) -> Value {
    json!({
        "id": id,
        "object": "event",
        "api_version": STRIPE_API_VERSION,
        "created": created,
        "data": {"object": object},
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": format!("req_{}", short_id()), "idempotency_key": uuid::Uuid::new_v4().to_string()},
        "type": event_type,
    })
}

/// `Stripe-Signature` for `payload` signed now with `secret`.
pub fn stripe_signature(payload: &str, secret: &str) -> String {
    stripe_signature_with(payload, &[secret], unix_now())
}

/// `Stripe-Signature: t=<timestamp>,v1=<sig>[,v1=<sig>...]`, one `v1` per
/// secret, each the hex HMAC-SHA256 of `"<timestamp>.<payload>"` keyed with
/// the whole `whsec_...` string, as Stripe signs.
pub fn stripe_signature_with(payload: &str, secrets: &[&str], timestamp: i64) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(format!("{timestamp}.{payload}").as_bytes());
        let sig = hex::encode(mac.finalize().into_bytes());
        header.push_str(",v1=");
        header.push_str(&sig);
    }
    header
}

/// A random `whsec_` secret.
pub fn webhook_secret() -> String {
    format!("whsec_{}", uuid::Uuid::new_v4().simple())
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

fn short_id() -> String {
    let raw = uuid::Uuid::new_v4().simple().to_string();
    raw[..24].to_owned()
}
