// The accent palette (ocean, forest, plum, high contrast), over either theme; remembered in this
// browser and applied before the first paint (main.tsx).
import { DropdownMenu } from "radix-ui";
import { useEffect, useState } from "react";

export const PALETTES = [
  { value: "ocean", label: "Ocean" },
  { value: "forest", label: "Forest" },
  { value: "plum", label: "Plum" },
  { value: "contrast", label: "High contrast" },
] as const;

export type Palette = (typeof PALETTES)[number]["value"];

export function storedPalette(): Palette {
  const saved = localStorage.getItem("boocode-palette");
  return PALETTES.find((p) => p.value === saved)?.value ?? "ocean";
}

export function PaletteMenu() {
  const [palette, setPalette] = useState<Palette>(storedPalette);
  useEffect(() => {
    document.documentElement.dataset.palette = palette;
    localStorage.setItem("boocode-palette", palette);
  }, [palette]);
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger asChild>
        <button className="icon-btn" aria-label={`Palette: ${PALETTES.find((p) => p.value === palette)?.label}`}>◐</button>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content className="menu z-50" align="end" sideOffset={4}>
          <DropdownMenu.Label className="px-2 py-1 text-xs text-muted">Palette</DropdownMenu.Label>
          <DropdownMenu.RadioGroup value={palette} onValueChange={(v) => setPalette(v as Palette)}>
            {PALETTES.map((p) => (
              <DropdownMenu.RadioItem key={p.value} value={p.value} className="menu-item flex items-center gap-2">
                <span className="inline-block w-3">
                  <DropdownMenu.ItemIndicator>✓</DropdownMenu.ItemIndicator>
                </span>
                {p.label}
              </DropdownMenu.RadioItem>
            ))}
          </DropdownMenu.RadioGroup>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}
