// The datasource reference every dashboard panel uses (the provisioned Strata datasource).
export const DATASOURCE_UID_REF = { type: 'prometheus', uid: 'strata' } as const;
