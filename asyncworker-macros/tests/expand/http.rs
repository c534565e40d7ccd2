use asyncworker::prelude::*;

/// Reads or replaces one user.
#[route(http = ["/users/{id}", "/u/{id}"], methods = ["GET", "PUT"], name = "user")]
async fn user(db: State<Db>, Path(id): Path<u64>, body: Json<User>) -> Json<User> {
    db.save(id, &body).await;
    body
}
