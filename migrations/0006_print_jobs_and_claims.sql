ALTER TABLE "print_runs" ADD COLUMN "campaign_id" uuid;--> statement-breakpoint
ALTER TABLE "print_runs" ADD COLUMN "wave_id" uuid;--> statement-breakpoint
ALTER TABLE "print_runs" ADD COLUMN "job_status" text;--> statement-breakpoint
ALTER TABLE "print_runs" ADD COLUMN "released_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "print_runs" ADD COLUMN "downloaded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "print_runs" ADD COLUMN "printed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "print_runs" ADD COLUMN "mailed_on" date;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "claim_id" uuid;--> statement-breakpoint
ALTER TABLE "waves" ADD COLUMN "proof_approved_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "waves" ADD COLUMN "proof_approved_by" text;--> statement-breakpoint
ALTER TABLE "waves" ADD COLUMN "print_run_id" uuid;