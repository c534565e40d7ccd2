use asyncworker::prelude::*;

#[route(http = ["/"])]
fn index() -> std::rc::Rc<String> {
    std::rc::Rc::new(String::new())
}

fn main() {}
