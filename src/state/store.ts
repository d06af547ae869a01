import { create } from "zustand";

/** Placeholder app store; UI state slices will be added here. */
export interface AppState {
  ready: boolean;
  setReady: (ready: boolean) => void;
}

export const useAppStore = create<AppState>()((set) => ({
  ready: false,
  setReady: (ready) => set({ ready }),
}));
