-- Schema of shop-db (postgresql, staging).

CREATE TABLE customers (
    id uuid PRIMARY KEY,
    email text,
    full_name text,
    phone text,
    date_of_birth date,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE credentials (
    customer_id uuid NOT NULL,
    password_hash text,
    mfa_secret text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    total_amount numeric(12,2) NOT NULL,
    currency text,
    status text,
    shipping_address text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    sku text,
    title text,
    description text,
    price numeric(12,2) NOT NULL,
    stock integer
);

CREATE TABLE payment_methods (
    id uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    card_number text,
    expiry_month integer,
    expiry_year integer,
    cardholder_name text
);
