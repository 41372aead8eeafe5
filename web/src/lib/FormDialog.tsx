// A modal form: title, description, fields, the request's error, Cancel and Save.
import { Dialog } from "radix-ui";
import type { ReactNode } from "react";

export function FormDialog({ title, description, error, pending, onClose, onSubmit, wide, children }: { title: string; description: ReactNode; error: string | null; pending: boolean; onClose: () => void; onSubmit: () => void; wide?: boolean; children: ReactNode }) {
  return (
    <Dialog.Root open onOpenChange={(open) => !open && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 bg-black/50" />
        <Dialog.Content className={`fixed left-1/2 -translate-x-1/2 rounded-lg border border-line bg-panel p-4 shadow-xl ${wide ? "top-[12%] w-[min(92vw,520px)]" : "top-1/3 w-[min(90vw,420px)]"}`}>
          <Dialog.Title className="mb-1 text-base font-semibold">{title}</Dialog.Title>
          <Dialog.Description className="mb-3 text-sm text-muted">{description}</Dialog.Description>
          <form
            className="flex flex-col gap-3"
            onSubmit={(e) => {
              e.preventDefault();
              onSubmit();
            }}
          >
            {children}
            {error && <p role="alert" className="notice error">{error}</p>}
            <div className="flex justify-end gap-2">
              <Dialog.Close asChild>
                <button type="button" className="btn">Cancel</button>
              </Dialog.Close>
              <button type="submit" className="btn primary" disabled={pending}>Save</button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
