-- Schema of payments-db (postgresql, prod).

CREATE TABLE payments (
    id uuid PRIMARY KEY,
    order_id uuid NOT NULL,
    amount numeric(12,2) NOT NULL,
    currency text,
    status text,
    processor_ref text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payment_methods (
    id uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    processor_token text,
    card_fingerprint text,
    card_last4 text,
    expiry_month integer,
    expiry_year integer,
    cardholder_name text
);

CREATE TABLE ledger_entries (
    id uuid PRIMARY KEY,
    account_id uuid NOT NULL,
    amount numeric(12,2) NOT NULL,
    direction text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payout_accounts (
    id uuid PRIMARY KEY,
    merchant_id uuid NOT NULL,
    iban text,
    account_number text,
    routing_number text
);

CREATE TABLE refunds (
    id uuid PRIMARY KEY,
    payment_id uuid NOT NULL,
    amount numeric(12,2) NOT NULL,
    status text,
    created_at timestamptz NOT NULL DEFAULT now()
);
