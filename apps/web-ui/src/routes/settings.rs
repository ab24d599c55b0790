//! Settings: business details and API keys.

use super::{failed, signed_in, signed_in_post, value};
use crate::gateway::GatewayError;
use crate::session::Ctx;
use crate::views::{self, DAYS, Errors, SettingsView, Values, settings_values};
use actix_web::{HttpResponse, web};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// What the settings page shows besides the business form.
#[derive(Default)]
struct Extra<'a> {
    values: Option<&'a Values>,
    errors: Errors,
    message: Option<String>,
    saved: bool,
    new_key: Option<Value>,
    key_errors: Errors,
}

async fn render(ctx: &mut Ctx, token: &str, extra: Extra<'_>) -> HttpResponse {
    let gw = ctx.state.gateway.clone();
    let (tenant, keys) = tokio::join!(
        gw.get("/api/tenant", Some(token)),
        gw.get("/api/api-keys", Some(token))
    );
    let (tenant, keys) = match (tenant, keys) {
        (Ok(t), Ok(k)) => (t, k),
        (Err(e), _) | (_, Err(e)) => return failed(ctx, e, "Settings"),
    };
    let tenant = &tenant["tenant"];
    let current = settings_values(tenant);
    views::settings(
        ctx,
        SettingsView {
            tenant,
            keys: &keys,
            values: extra.values.unwrap_or(&current),
            errors: &extra.errors,
            message: extra.message.as_deref(),
            saved: extra.saved,
            new_key: extra.new_key.as_ref(),
            key_errors: &extra.key_errors,
        },
    )
}

pub async fn show(mut ctx: Ctx, q: web::Query<SavedQuery>) -> HttpResponse {
    let token = match signed_in(&ctx) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let extra = Extra {
        saved: q.saved.is_some(),
        ..Extra::default()
    };
    render(&mut ctx, &token, extra).await
}

/// The PUT /api/tenant/settings body of the form.
fn settings_body(form: &Values) -> Result<Value, Errors> {
    let mut body = Map::new();
    for k in [
        "timezone",
        "notificationEmail",
        "fromName",
        "physicalAddress",
    ] {
        if let Some(v) = value(form, k) {
            body.insert(k.into(), v.into());
        }
    }
    let mut hours = Map::new();
    for (day, label) in DAYS {
        let open = value(form, &format!("{day}Open"));
        let close = value(form, &format!("{day}Close"));
        let ranges = match (open, close) {
            (Some(o), Some(c)) => json!([[o, c]]),
            (None, None) => json!([]),
            _ => {
                return Err(Errors::from([(
                    "businessHours".to_owned(),
                    format!("need both an opening and a closing time on {label}"),
                )]));
            }
        };
        hours.insert((*day).into(), ranges);
    }
    body.insert("businessHours".into(), Value::Object(hours));
    Ok(Value::Object(body))
}

pub async fn save(mut ctx: Ctx, form: web::Form<Values>) -> HttpResponse {
    let form = form.into_inner();
    let token = match signed_in_post(&ctx, &form) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let result = match settings_body(&form) {
        Ok(body) => {
            ctx.state
                .gateway
                .send(Method::PUT, "/api/tenant/settings", &token, &body)
                .await
        }
        Err(fields) => Err(GatewayError::invalid(fields)),
    };
    match result {
        Ok(_) => ctx.redirect("/settings?saved=1"),
        Err(e) if e.status == 400 => {
            let extra = Extra {
                values: Some(&form),
                errors: e.fields,
                message: Some(e.message),
                ..Extra::default()
            };
            render(&mut ctx, &token, extra).await
        }
        Err(e) => failed(&mut ctx, e, "Settings"),
    }
}

pub async fn create_key(mut ctx: Ctx, form: web::Form<Values>) -> HttpResponse {
    let token = match signed_in_post(&ctx, &form) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let scope = match value(&form, "scope") {
        Some("full") => "full",
        _ => "leads:create",
    };
    let body = json!({"name": value(&form, "name").unwrap_or(""), "scope": scope});
    let result = ctx
        .state
        .gateway
        .send(Method::POST, "/api/api-keys", &token, &body)
        .await;
    let extra = match result {
        Ok(key) => Extra {
            new_key: Some(key),
            ..Extra::default()
        },
        Err(e) if e.status == 400 => Extra {
            key_errors: e.fields,
            ..Extra::default()
        },
        Err(e) => return failed(&mut ctx, e, "Settings"),
    };
    render(&mut ctx, &token, extra).await
}

pub async fn revoke_key(
    mut ctx: Ctx,
    id: web::Path<String>,
    form: web::Form<Values>,
) -> HttpResponse {
    let token = match signed_in_post(&ctx, &form) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    if uuid::Uuid::parse_str(&id).is_err() {
        return super::not_found(ctx).await;
    }
    let path = format!("/api/api-keys/{id}");
    match ctx
        .state
        .gateway
        .call(Method::DELETE, &path, Some(&token), None, None)
        .await
    {
        Ok(_) => ctx.redirect("/settings"),
        Err(e) => failed(&mut ctx, e, "Settings"),
    }
}
