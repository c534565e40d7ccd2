//! Handler arguments taken from the application handle: `State<T>` and `App`.

use std::any::{TypeId, type_name};

use crate::app::{App, State, StateError};

/// A state type a handler needs; checked against the inserted state when startup ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateRequirement {
    /// The type's id.
    pub id: TypeId,
    /// The type's name, for the startup error.
    pub type_name: &'static str,
}

/// An argument a handler can take before its messages: [`State<T>`] or [`App`].
///
/// ```
/// use asyncworker::handler::FromApp;
/// use asyncworker::{App, State};
///
/// let app = App::for_tests();
/// app.insert(7u8).unwrap();
/// let s = <State<u8> as FromApp>::from_app(&app).unwrap();
/// assert_eq!(*s, 7);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler argument",
    label = "not an asyncworker extractor",
    note = "arguments before the messages must be `State<T>` or `App`; the messages come last"
)]
pub trait FromApp: Sized + Send + 'static {
    /// Builds the argument for one handler call.
    fn from_app(app: &App) -> Result<Self, StateError>;

    /// Records the state this extractor needs, so a missing one is reported at startup.
    fn required_state(_out: &mut Vec<StateRequirement>) {}
}

impl FromApp for App {
    fn from_app(app: &App) -> Result<Self, StateError> {
        Ok(app.clone())
    }
}

impl<T: Send + Sync + 'static> FromApp for State<T> {
    fn from_app(app: &App) -> Result<Self, StateError> {
        app.try_state::<T>()
    }

    fn required_state(out: &mut Vec<StateRequirement>) {
        out.push(StateRequirement {
            id: TypeId::of::<T>(),
            type_name: type_name::<T>(),
        });
    }
}
