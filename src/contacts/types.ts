// The shape of a contact as it enters the system (from a list row or the API),
// already normalized.

export const CONTACT_KINDS = ['prior_owner', 'corporate', 'club_member', 'prospect'] as const;
export type ContactKind = (typeof CONTACT_KINDS)[number];

export const CHANNELS = ['mail', 'sms', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

export const SUPPRESSION_REASONS = ['unsubscribed', 'bounced', 'undeliverable_address', 'do_not_contact', 'complaint'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

export interface VehicleInput {
  vin: string | null;
  make: string | null;
  model: string | null;
  purchaseDate: string | null;
  lastServiceDate: string | null;
  mileageKm: number | null;
  insuranceExpiry: string | null;
}

/** Every contact field a list row can set. null = not given (never erases a known value). */
export interface ContactInput {
  kind: ContactKind;
  fullName: string | null;
  gender: 'male' | 'female' | null;
  title: string | null;
  birthday: string | null;
  language: string | null;
  phone: string | null;
  email: string | null;
  country: string | null;
  province: string | null;
  city: string | null;
  district: string | null;
  street: string | null;
  postcode: string | null;
  company: string | null;
  jobTitle: string | null;
  fleetSize: number | null;
  club: string | null;
  tier: string | null;
  joinDate: string | null;
  attributes: Record<string, string> | null;
  nameKey: string | null;
  householdKey: string | null;
  vehicle: VehicleInput | null;
  consent: Partial<Record<Channel, boolean>> | null;
}

/** Contact columns a merge may overwrite, in the order stored. */
export const MERGEABLE_FIELDS = [
  'fullName',
  'gender',
  'title',
  'birthday',
  'language',
  'phone',
  'email',
  'country',
  'province',
  'city',
  'district',
  'street',
  'postcode',
  'company',
  'jobTitle',
  'fleetSize',
  'club',
  'tier',
  'joinDate',
] as const satisfies readonly (keyof ContactInput)[];
