//! What a student is, what clients send to create or change one, and the checks that input
//! passes before it reaches the database (the same for the HTTP API and the queue).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A student as stored and as the API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, sqlx::FromRow)]
pub struct Student {
    /// Assigned by the database.
    pub id: i64,
    /// 1 to 200 characters.
    pub name: String,
    /// Unique: it names the student.
    pub email: String,
    /// Deactivated students are kept but no longer listed.
    pub active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed (a deactivation, an update, a tidied name).
    pub updated_at: DateTime<Utc>,
}

/// The body of `POST /students`, `PUT /students/{id}` and of a `students.create` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStudent {
    /// 1 to 200 characters once trimmed.
    #[schemars(length(min = 1, max = 200))]
    pub name: String,
    /// An address with an `@`, compared without regard to case.
    #[schemars(length(min = 3, max = 254))]
    pub email: String,
}

/// A [`NewStudent`] that passed [`NewStudent::validate`]: trimmed, the email lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidStudent {
    name: String,
    email: String,
}

impl ValidStudent {
    /// The trimmed name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The trimmed, lower-cased email.
    pub fn email(&self) -> &str {
        &self.email
    }
}

/// Why input was refused, naming the field: the 422 of the API, the log line of a parked
/// message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct Invalid {
    /// The JSON field at fault.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl NewStudent {
    /// Trims and checks the fields; the first problem found is the error.
    ///
    /// ```
    /// use students::model::NewStudent;
    ///
    /// let new = NewStudent { name: "  Ada Lovelace ".into(), email: "Ada@Example.org".into() };
    /// let valid = new.validate().unwrap();
    /// assert_eq!((valid.name(), valid.email()), ("Ada Lovelace", "ada@example.org"));
    ///
    /// let empty = NewStudent { name: " ".into(), email: "x@y.z".into() };
    /// assert_eq!(empty.validate().unwrap_err().to_string(), "name: must not be empty");
    /// ```
    pub fn validate(&self) -> Result<ValidStudent, Invalid> {
        let name = self.name.trim();
        let email = self.email.trim().to_lowercase();
        let refuse = |field, problem| Err(Invalid { field, problem });
        if name.is_empty() {
            return refuse("name", "must not be empty");
        }
        if name.chars().count() > 200 {
            return refuse("name", "must be at most 200 characters");
        }
        if email.is_empty() {
            return refuse("email", "must not be empty");
        }
        if email.chars().count() > 254 {
            return refuse("email", "must be at most 254 characters");
        }
        match email.split_once('@') {
            Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {}
            _ => return refuse("email", "must be an address like name@example.org"),
        }
        Ok(ValidStudent {
            name: name.to_owned(),
            email,
        })
    }
}

/// The query of `GET /students`: a page of at most `limit` active students with ids above
/// `after` (keyset pagination: pages stay stable while students are added).
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
pub struct PageQuery {
    /// 1 to 100; 50 when absent.
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u8>,
    /// The `next_after` of the previous page; absent for the first.
    pub after: Option<i64>,
}

/// The answer of `GET /students`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StudentPage {
    /// At most `limit` active students, by id.
    pub students: Vec<Student>,
    /// Pass it as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str, email: &str) -> NewStudent {
        NewStudent {
            name: name.into(),
            email: email.into(),
        }
    }

    #[test]
    fn each_refusal_names_its_field() {
        let problems = [
            (new("", "a@b.c"), "name: must not be empty"),
            (
                new(&"x".repeat(201), "a@b.c"),
                "name: must be at most 200 characters",
            ),
            (new("Ada", " "), "email: must not be empty"),
            (
                new("Ada", "ada.example.org"),
                "email: must be an address like name@example.org",
            ),
            (
                new("Ada", "@example.org"),
                "email: must be an address like name@example.org",
            ),
        ];
        for (input, expected) in problems {
            assert_eq!(
                input.validate().unwrap_err().to_string(),
                expected,
                "{input:?}"
            );
        }
    }

    #[test]
    fn a_valid_student_is_trimmed_and_its_email_lower_cased() {
        let valid = new(" Ada ", " ADA@Example.org ").validate().unwrap();
        assert_eq!(valid.name(), "Ada");
        assert_eq!(valid.email(), "ada@example.org");
    }
}
