-- riskgraph:datastore billing
/* Billing schema; statements may
   contain ; inside comments */
CREATE TABLE IF NOT EXISTS public."Invoices" (
    id          bigserial PRIMARY KEY,
    customer_email text NOT NULL,
    note        text DEFAULT 'a;b (c)',
    amount      numeric(12, 2) NOT NULL CHECK (amount >= 0),
    memo        text, -- classification: PII
    CONSTRAINT invoices_amount_positive CHECK (amount > 0),
    UNIQUE (customer_email, id)
);

CREATE TABLE `payment_cards` (
  `id` int NOT NULL AUTO_INCREMENT,
  `pan` varchar(19),
  `exp_month` tinyint,
  PRIMARY KEY (`id`),
  KEY `idx_pan` (`pan`)
) ENGINE=InnoDB;

ALTER TABLE public."Invoices" ADD COLUMN billing_iban text, ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES x(id);
COMMENT ON COLUMN public."Invoices".note IS 'Free text; may hold PHI';
