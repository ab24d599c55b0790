//! The leads table and form, one lead, closing a lead.

use super::{failed, signed_in, signed_in_post, value};
use crate::gateway::GatewayError;
use crate::session::Ctx;
use crate::views::{self, Errors, METADATA_FIELDS, Values};
use actix_web::{HttpResponse, web};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

fn list_path(cursor: Option<&str>) -> String {
    match cursor {
        Some(c)
            if c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-_=".contains(ch)) =>
        {
            format!("/api/leads?limit=50&cursor={c}")
        }
        _ => "/api/leads?limit=50".into(),
    }
}

pub async fn list(mut ctx: Ctx, q: web::Query<ListQuery>) -> HttpResponse {
    let token = match signed_in(&ctx) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    match ctx
        .state
        .gateway
        .get(&list_path(q.cursor.as_deref()), Some(&token))
        .await
    {
        Ok(list) => views::leads(&ctx, &list, &Values::new(), &Errors::new(), None),
        Err(e) => failed(&mut ctx, e, "Leads"),
    }
}

/// The POST /api/leads body of the form.
fn lead_body(form: &Values) -> Result<Value, Errors> {
    let mut body = json!({
        "name": value(form, "name").unwrap_or(""),
        "email": value(form, "email").unwrap_or(""),
        "source": value(form, "source").unwrap_or(""),
    });
    if let Some(p) = value(form, "phone") {
        body["phone"] = p.into();
    }
    let mut meta = Map::new();
    for (key, _, _) in METADATA_FIELDS {
        let Some(v) = value(form, key) else { continue };
        let v = if *key == "companySize" {
            match v.parse::<u32>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    return Err(Errors::from([(
                        (*key).to_owned(),
                        "must be a whole number".to_owned(),
                    )]));
                }
            }
        } else {
            Value::from(v)
        };
        meta.insert((*key).to_owned(), v);
    }
    if !meta.is_empty() {
        body["metadata"] = Value::Object(meta);
    }
    Ok(body)
}

pub async fn create(mut ctx: Ctx, form: web::Form<Values>) -> HttpResponse {
    let form = form.into_inner();
    let token = match signed_in_post(&ctx, &form) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let gw = ctx.state.gateway.clone();
    let result = match lead_body(&form) {
        Ok(body) => {
            gw.call(
                Method::POST,
                "/api/leads",
                Some(&token),
                Some(&body),
                value(&form, "idempotencyKey"),
            )
            .await
        }
        Err(fields) => Err(GatewayError::invalid(fields)),
    };
    match result {
        Ok(v) => match v["lead"]["id"].as_str() {
            Some(id) => ctx.redirect(&format!("/leads/{id}")),
            None => ctx.redirect("/leads"),
        },
        Err(e) if e.status == 400 || e.status == 422 => {
            let list = gw
                .get(&list_path(None), Some(&token))
                .await
                .unwrap_or(Value::Null);
            views::leads(&ctx, &list, &form, &e.fields, Some(&e.message))
        }
        Err(e) => failed(&mut ctx, e, "Leads"),
    }
}

fn valid_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

pub async fn detail(mut ctx: Ctx, id: web::Path<String>) -> HttpResponse {
    let token = match signed_in(&ctx) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    if !valid_id(&id) {
        return super::not_found(ctx).await;
    }
    let gw = ctx.state.gateway.clone();
    let path = format!("/api/leads/{id}");
    let (lead, tenant) = tokio::join!(
        gw.get(&path, Some(&token)),
        gw.get("/api/tenant", Some(&token))
    );
    let tz = tenant
        .ok()
        .and_then(|t| t["tenant"]["timezone"].as_str().map(str::to_owned));
    match lead {
        Ok(l) => views::lead_detail(&ctx, &l["lead"], tz.as_deref()),
        Err(e) => failed(&mut ctx, e, "Lead"),
    }
}

pub async fn set_status(
    mut ctx: Ctx,
    id: web::Path<String>,
    form: web::Form<Values>,
) -> HttpResponse {
    let token = match signed_in_post(&ctx, &form) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    if !valid_id(&id) {
        return super::not_found(ctx).await;
    }
    let status = value(&form, "status").unwrap_or("");
    let result = ctx
        .state
        .gateway
        .send(
            Method::PATCH,
            &format!("/api/leads/{id}"),
            &token,
            &json!({ "status": status }),
        )
        .await;
    match result {
        Ok(_) => ctx.redirect(&format!("/leads/{id}")),
        Err(e) => failed(&mut ctx, e, "Lead"),
    }
}
