DROP INDEX "contacts_dealer_id_idx";--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "first_purchase_date" date;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "last_purchase_date" date;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "first_insurance_expiry" date;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "last_insurance_expiry" date;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "mail_suppressed" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "sms_suppressed" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "email_suppressed" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- Backfill for contacts that exist already, before the indexes are built. The
-- definitions are those of src/contacts/vehicle-dates.ts (min/max over the
-- contact's own dealer's vehicles) and refreshSuppressionFlags() in
-- src/contacts/suppression.ts (a suppression of the dealer on the channel or
-- 'all' whose value is the contact's id, phone, email or household key).
UPDATE "contacts" c
SET "first_purchase_date" = v.fp, "last_purchase_date" = v.lp, "first_insurance_expiry" = v.fi, "last_insurance_expiry" = v.li
FROM (
  SELECT "contact_id", "dealer_id", min("purchase_date") AS fp, max("purchase_date") AS lp,
         min("insurance_expiry") AS fi, max("insurance_expiry") AS li
  FROM "vehicles" GROUP BY "contact_id", "dealer_id"
) v
WHERE c."id" = v."contact_id" AND c."dealer_id" = v."dealer_id";--> statement-breakpoint
UPDATE "contacts" c
SET "mail_suppressed" = f.mail, "sms_suppressed" = f.sms, "email_suppressed" = f.email
FROM (
  SELECT n.id, bool_or(n.channel IN ('mail', 'all')) AS mail, bool_or(n.channel IN ('sms', 'all')) AS sms,
         bool_or(n.channel IN ('email', 'all')) AS email
  FROM (
    SELECT c2."id", s."channel" FROM "suppressions" s JOIN "contacts" c2 ON c2."dealer_id" = s."dealer_id" AND c2."id"::text = s."value" WHERE s."target" = 'contact'
    UNION ALL
    SELECT c2."id", s."channel" FROM "suppressions" s JOIN "contacts" c2 ON c2."dealer_id" = s."dealer_id" AND c2."phone_e164" = s."value" WHERE s."target" = 'phone'
    UNION ALL
    SELECT c2."id", s."channel" FROM "suppressions" s JOIN "contacts" c2 ON c2."dealer_id" = s."dealer_id" AND c2."email" = s."value" WHERE s."target" = 'email'
    UNION ALL
    SELECT c2."id", s."channel" FROM "suppressions" s JOIN "contacts" c2 ON c2."dealer_id" = s."dealer_id" AND c2."household_key" = s."value" WHERE s."target" = 'household'
  ) n
  GROUP BY n.id
) f
WHERE c."id" = f.id;--> statement-breakpoint
CREATE INDEX "contacts_kind_idx" ON "contacts" USING btree ("dealer_id","kind","first_purchase_date","sms_consent","sms_suppressed","phone_e164");--> statement-breakpoint
CREATE INDEX "contacts_dealer_id_idx" ON "contacts" USING btree ("dealer_id","id",((extract(month from "birthday"))::int),"birthday","sms_suppressed","first_insurance_expiry","last_insurance_expiry");