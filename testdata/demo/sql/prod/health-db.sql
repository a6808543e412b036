-- Schema of health-db (postgresql, prod).

CREATE TABLE patients (
    id uuid PRIMARY KEY,
    medical_record_number text,
    full_name text,
    date_of_birth date,
    email text,
    phone text,
    ssn text,
    address text
);

CREATE TABLE insurance (
    patient_id uuid NOT NULL,
    insurance_provider text,
    insurance_member_id uuid NOT NULL,
    group_number text
);

CREATE TABLE appointments (
    id uuid PRIMARY KEY,
    patient_id uuid NOT NULL,
    provider_id uuid NOT NULL,
    starts_at timestamptz NOT NULL DEFAULT now(),
    reason_for_visit text,
    clinical_notes text
);

CREATE TABLE diagnoses (
    id uuid PRIMARY KEY,
    patient_id uuid NOT NULL,
    icd10_code text,
    diagnosis text,
    noted_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE prescriptions (
    id uuid PRIMARY KEY,
    patient_id uuid NOT NULL,
    medication text,
    dosage text
);
