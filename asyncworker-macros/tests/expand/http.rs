use asyncworker::prelude::*;

/// Reads or replaces one user.
#[route(http = ["/users/{id}", "/u/{id}"], methods = ["GET", "PUT"], name = "user")]
async fn user(db: State<Db>, Path(id): Path<u64>, body: Json<User>) -> Json<User> {
    db.save(id, &body).await;
    body
}

/// Behind the layers `auth::layers` builds.
#[route(http = ["/admin"], layers = auth::layers)]
async fn admin() -> &'static str {
    "admin"
}
