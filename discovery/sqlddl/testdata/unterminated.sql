CREATE TABLE t (
  a text DEFAULT 'oops
);
