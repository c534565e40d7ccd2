-- The students: created over HTTP or by the `students.create` queue. An email names one
-- student, which makes creation from the queue idempotent (a redelivered message finds its
-- row and inserts nothing).
CREATE TABLE students (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email      TEXT        NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
    active     BOOLEAN     NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- `GET /students` pages through the active students by id.
CREATE INDEX students_active_id ON students (id) WHERE active;

-- What the `report` job counted, one row per run (its run key), so a run repeated around a
-- hand-over of the singleton lease writes nothing twice.
CREATE TABLE student_reports (
    run_key  TEXT        PRIMARY KEY,
    active   BIGINT      NOT NULL,
    inactive BIGINT      NOT NULL,
    taken_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
