-- Materials catalogue. Build volumes are the real machines' envelopes (x, y, z in mm);
-- rates are tokens per cm3 of part volume, setup tokens are charged once per job.
-- Re-running updates the rows in place.
insert into public.materials
  (id, process, name, description, tokens_per_cm3, setup_tokens, build_volume_mm,
   min_wall_mm, active, sort_order, copper_layers)
values
  ('fdm-pla', 'fdm', 'PLA', 'FDM, 0.2 mm layers, Prusa MK4', 1.20, 15,
   '{250,210,220}', 0.8, true, 10, null),
  ('fdm-petg', 'fdm', 'PETG', 'FDM, 0.2 mm layers, Prusa MK4', 1.50, 15,
   '{250,210,220}', 0.8, true, 20, null),
  ('fdm-abs', 'fdm', 'ABS', 'FDM in an enclosed Bambu Lab X1 Carbon', 1.80, 20,
   '{256,256,256}', 1.0, true, 30, null),
  ('sla-standard-grey', 'sla', 'Standard Resin Grey', 'SLA, 50 µm layers, Formlabs Form 3',
   3.50, 30, '{145,145,185}', 0.6, true, 40, null),
  ('sla-tough-2000', 'sla', 'Tough 2000 Resin', 'SLA, 100 µm layers, Formlabs Form 3L',
   4.80, 40, '{335,200,300}', 1.0, true, 50, null),
  ('sla-castable-wax', 'sla', 'Castable Wax Resin', 'SLA for investment casting (discontinued)',
   9.00, 60, '{145,145,185}', 0.8, false, 55, null),
  ('sls-pa12', 'sls', 'PA12 White', 'SLS, 120 µm layers, EOS P 396', 4.20, 60,
   '{340,340,600}', 0.8, true, 60, null),
  ('mjf-pa12', 'mjf', 'PA12 Grey', 'HP Multi Jet Fusion 5200, 80 µm layers', 3.90, 60,
   '{380,284,380}', 0.6, true, 70, null),
  ('cnc-al-6061', 'cnc', 'Aluminium 6061-T6', '3-axis milling, as machined (Ra 3.2)', 28.00, 400,
   '{600,400,300}', 0.8, true, 80, null),
  ('cnc-steel-1.4301', 'cnc', 'Stainless steel 1.4301 (304)', '3-axis milling, as machined',
   52.00, 600, '{600,400,300}', 1.0, true, 90, null),
  ('cnc-steel-1018', 'cnc', 'Low-carbon steel 1018', '3-axis milling, as machined', 40.00, 500,
   '{600,400,300}', 1.0, true, 100, null),
  ('sheet-al-5052', 'sheet', 'Aluminium 5052 sheet', 'Fibre laser cut and press-brake bent',
   9.50, 250, '{3000,1500,300}', 0.5, true, 110, null),
  ('pcb-fr4-2l', 'pcb', 'FR-4 1.6 mm, 2 layers', 'HASL, green mask, 0.15 mm trace/space',
   12.00, 150, '{500,400,3}', 0.15, true, 120, 2),
  ('pcb-fr4-4l', 'pcb', 'FR-4 1.6 mm, 4 layers', 'ENIG, green mask, 0.1 mm trace/space',
   22.00, 300, '{500,400,3}', 0.1, true, 130, 4)
on conflict (id) do update set
  process = excluded.process,
  name = excluded.name,
  description = excluded.description,
  tokens_per_cm3 = excluded.tokens_per_cm3,
  setup_tokens = excluded.setup_tokens,
  build_volume_mm = excluded.build_volume_mm,
  min_wall_mm = excluded.min_wall_mm,
  active = excluded.active,
  sort_order = excluded.sort_order,
  copper_layers = excluded.copper_layers;
